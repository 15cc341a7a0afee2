"""Demo rows for the outbox admin: a welcome email, a scheduled promotion and an SMS."""

from datetime import timedelta

from django.utils import timezone

from courseops.core.demo import register
from courseops.messaging.models import Category
from courseops.messaging.services import queue_email, queue_sms


@register
def load_messaging_demo(*, staff):
    context = {"name": "Lucía", "course": "IA aplicada a tu negocio"}
    queue_email(
        to="lucia@example.com",
        idempotency_key="demo:welcome:lucia",
        template="welcome",
        context={**context, "cta_url": "http://127.0.0.1:8000/portal/"},
    )
    queue_email(
        to="lucia@example.com",
        idempotency_key="demo:promo:lucia",
        template="welcome",
        context=context,
        category=Category.MARKETING,
        send_at=timezone.now() + timedelta(days=1),
    )
    queue_sms(
        to="+5215512345678",
        idempotency_key="demo:sms:lucia",
        template="welcome",
        context=context,
    )
