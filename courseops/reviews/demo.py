from courseops.core.demo import register
from courseops.reviews.models import Draft
from courseops.reviews.services import create_draft

DEMO_RECIPIENT = "lucia.demo@example.com"


@register
def load_reviews_demo(*, staff):
    """One pending welcome email, written by the AI gateway, to review. Created once."""
    from courseops.ai import generate

    if Draft.objects.filter(kind="demo_email", recipient=DEMO_RECIPIENT).exists():
        return
    context = {"name": "Lucía", "plan": "IA aplicada para tu negocio", "interests": ["ventas"]}
    result = generate("welcome_email", context, requested_by="reviews.demo", user=staff)
    create_draft(
        kind="demo_email",
        target=None,
        recipient=DEMO_RECIPIENT,
        subject=result.data["subject"],
        body=result.data["body_html"],
        context=context,
        ai_result=result,
    )
