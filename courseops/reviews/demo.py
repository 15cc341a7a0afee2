from courseops.core.demo import register
from courseops.reviews.models import Draft
from courseops.reviews.services import create_draft

DEMO_RECIPIENT = "lucia.demo@example.com"


@register
def load_reviews_demo(*, staff):
    """One pending welcome email to review, created once."""
    if Draft.objects.filter(kind="demo_email", recipient=DEMO_RECIPIENT).exists():
        return
    create_draft(
        kind="demo_email",
        target=None,
        recipient=DEMO_RECIPIENT,
        subject="¡Bienvenida al curso de IA aplicada, Lucía!",
        body=(
            "<p>Hola Lucía:</p>"
            "<p>Tu lugar en <strong>IA aplicada para tu negocio</strong> está confirmado. "
            "La primera clase en vivo es el martes a las 19:00 (hora de Ciudad de México).</p>"
            '<p><a href="https://example.com/portal/">Entra a tu portal</a> para ver los '
            "materiales.</p><p>¡Nos vemos en clase!</p>"
        ),
        context={
            "student": {"first_name": "Lucía", "email": DEMO_RECIPIENT},
            "course": {"title": "IA aplicada para tu negocio", "first_class": "martes 19:00"},
            "prompt": "welcome_email",
        },
    )
