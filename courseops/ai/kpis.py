"""AI figures for the KPI dashboard: cost, and what staff do with the drafts."""

from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from courseops.ai.models import AIUsage
from courseops.operations.kpis.registry import Kpi, register_kpi, share_of, sum_of
from courseops.reviews.models import Draft, DraftStatus

decided = Draft.objects.filter(decided_at__isnull=False)
approved = Q(status__in=[DraftStatus.APPROVED, DraftStatus.APPLIED, DraftStatus.FAILED])

register_kpi(
    Kpi(
        key="ai.cost",
        area="ai",
        label=_("Coste de IA"),
        unit="USD",
        higher_is_better=False,
        **sum_of(AIUsage.objects.all(), "created_at", "cost_usd"),
    )
)
register_kpi(
    Kpi(
        key="ai.approved_unedited",
        area="ai",
        label=_("Borradores aprobados sin editar"),
        unit="%",
        **share_of(
            decided,
            "decided_at",
            approved & Q(body=F("generated_body"), subject=F("generated_subject")),
        ),
    )
)
register_kpi(
    Kpi(
        key="ai.approved_edited",
        area="ai",
        label=_("Borradores aprobados con cambios"),
        unit="%",
        **share_of(
            decided,
            "decided_at",
            approved & (~Q(body=F("generated_body")) | ~Q(subject=F("generated_subject"))),
        ),
    )
)
register_kpi(
    Kpi(
        key="ai.rejected",
        area="ai",
        label=_("Borradores rechazados"),
        unit="%",
        higher_is_better=False,
        **share_of(decided, "decided_at", Q(status=DraftStatus.REJECTED)),
    )
)
