"""Demo rows for the outbox admin: a welcome email, a scheduled promotion and an SMS."""

from datetime import timedelta

from django.utils import timezone

from courseops.core.demo import register
from courseops.messaging.models import BudgetRule, Category
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
        to="+525512345678",
        idempotency_key="demo:sms:lucia",
        template="welcome",
        context=context,
    )


@register
def load_budget_rules_demo(*, staff):
    """The caps the business asked for, as examples staff can change."""
    for name, channel, categories, limit, days in (
        ("Marketing por correo: 2 a la semana", "email", ["marketing"], 2, 7),
        ("Marketing por SMS: 1 a la semana", "sms", ["marketing"], 1, 7),
        ("No transaccionales: 1 al día", "", ["billing", "engagement", "marketing"], 1, 1),
    ):
        BudgetRule.objects.get_or_create(
            name=name,
            defaults={
                "channel": channel,
                "categories": categories,
                "limit": limit,
                "period_days": days,
            },
        )
