from django.conf import settings

from courseops.core.demo import register
from courseops.reviews.models import Draft
from courseops.reviews.services import create_draft

DEMO_RECIPIENT = "lucia.demo@example.com"
DEMO_CONTEXT = {"name": "Lucía", "plan": "IA aplicada para tu negocio", "interests": ["ventas"]}


@register
def load_reviews_demo(*, staff):
    """One pending welcome email to review, created once. Written by the AI gateway when
    it is offline; demo data never spends money on a paid provider."""
    if Draft.objects.filter(kind="demo_email", recipient=DEMO_RECIPIENT).exists():
        return
    result = None
    subject = "¡Te damos la bienvenida, Lucía!"
    body = "<p>Hola Lucía:</p><p>¡Gracias por unirte! En breve recibirás tus accesos.</p>"
    if settings.AI_PROVIDER == "offline":
        from courseops.ai import generate

        result = generate("welcome_email", DEMO_CONTEXT, requested_by="reviews.demo", user=staff)
        subject, body = result.data["subject"], result.data["body_html"]
    create_draft(
        kind="demo_email",
        target=None,
        recipient=DEMO_RECIPIENT,
        subject=subject,
        body=body,
        context=DEMO_CONTEXT,
        ai_result=result,
    )
