"""The rollout's figure on the dashboard: per automation and arm, how staff decided the
drafts of the period (the approved-unedited rate tells when to raise the percentage)."""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from courseops.operations.kpis.registry import KpiTable, Percent, register_table
from courseops.reviews.automations import automation_label
from courseops.reviews.models import Arm, Draft
from courseops.reviews.shadow_log import APPROVED, UNEDITED


def drafts_by_arm(start, end):
    """[[automation, arm, drafts, decided by staff, approved unedited %, went out on their
    own]] for the drafts of automations written in the period. One query."""
    by_staff = Q(decided_automatically=False, decided_at__isnull=False)
    rows = (
        Draft.objects.filter(created_at__gte=start, created_at__lt=end)
        .exclude(automation="")
        .exclude(arm="")
        .values("automation", "arm")
        .annotate(
            total=Count("pk"),
            decided=Count("pk", filter=by_staff & Q(status__in=[*APPROVED, "rejected"])),
            unedited=Count("pk", filter=by_staff & Q(status__in=APPROVED) & UNEDITED),
            automatic=Count("pk", filter=Q(decided_automatically=True)),
        )
        .order_by("automation", "arm")
    )
    return [
        [
            automation_label(row["automation"]),
            Arm(row["arm"]).label,
            row["total"],
            row["decided"],
            Percent(100 * row["unedited"] / row["decided"]) if row["decided"] else None,
            row["automatic"],
        ]
        for row in rows
    ]


register_table(
    KpiTable(
        key="reviews.drafts_by_arm",
        area="ai",
        label=_("Despliegue: borradores por automatización y grupo"),
        columns=(
            _("Automatización"),
            _("Grupo"),
            _("Borradores"),
            _("Decididos por el equipo"),
            _("Aprobados sin editar"),
            _("Salieron solos"),
        ),
        rows=drafts_by_arm,
    )
)
