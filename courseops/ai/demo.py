"""Demo rows: a few offline drafts so the AI ledger and its totals are not empty."""

from django.conf import settings

from courseops.ai.gateway import generate
from courseops.ai.models import AIUsage
from courseops.core.demo import register

DEMO_REQUESTER = "demo"


@register
def load_ai_demo(*, staff):
    # Demo data never spends money on a configured paid provider.
    if settings.AI_PROVIDER != "offline":
        return
    if AIUsage.objects.filter(requested_by=DEMO_REQUESTER).exists():
        return
    generate("smoke", {"topic": "automatizaciones"}, requested_by=DEMO_REQUESTER, user=staff)
    for name, plan, interests in (
        ("Lucía", "Pro anual", ["LLMs", "agentes"]),
        ("Mateo", "Básico mensual", ["visión artificial"]),
    ):
        generate(
            "welcome_email",
            {"name": name, "plan": plan, "interests": interests},
            requested_by=DEMO_REQUESTER,
            user=staff,
        )
