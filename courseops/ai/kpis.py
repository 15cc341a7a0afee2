"""AI figures for the KPI dashboard: cost, cost per area, and what staff do with the
drafts, overall and by prompt version."""

from django.apps import apps
from django.db.models import Case, CharField, Count, F, Q, Sum, Value, When
from django.db.models.functions import Left, StrIndex
from django.utils.translation import gettext_lazy as _

from courseops.ai.models import AIUsage
from courseops.operations.kpis.registry import (
    Kpi,
    KpiTable,
    Percent,
    Readable,
    Rows,
    register_kpi,
    register_table,
    share_of,
    sum_of,
)
from courseops.reviews.models import Draft, DraftStatus
from courseops.reviews.registry import kind_label

decided = Draft.objects.filter(decided_at__isnull=False)
approved = Q(status__in=[DraftStatus.APPROVED, DraftStatus.APPLIED, DraftStatus.FAILED])
unedited = Q(body=F("generated_body"), subject=F("generated_subject"))

register_kpi(
    Kpi(
        key="ai.cost",
        rows=Rows("ai.aiusage", "created_at"),
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
        rows=Rows("reviews.draft", "decided_at"),
        area="ai",
        label=_("Borradores aprobados sin editar"),
        unit="%",
        **share_of(decided, "decided_at", approved & unedited),
    )
)
register_kpi(
    Kpi(
        key="ai.approved_edited",
        rows=Rows("reviews.draft", "decided_at"),
        area="ai",
        label=_("Borradores aprobados con cambios"),
        unit="%",
        **share_of(decided, "decided_at", approved & ~unedited),
    )
)
register_kpi(
    Kpi(
        key="ai.rejected",
        rows=Rows("reviews.draft", "decided_at"),
        area="ai",
        label=_("Borradores rechazados"),
        unit="%",
        higher_is_better=False,
        **share_of(decided, "decided_at", Q(status=DraftStatus.REJECTED)),
    )
)


def _percent(part, total):
    return Percent(100 * part / total) if total else None


# The app that asked: every caller passes requested_by="<app label>.<what>" (prompt files
# all live in templates/prompts/, so their names carry no app).
REQUESTING_APP = Case(
    When(
        requested_by__contains=".",
        then=Left("requested_by", StrIndex("requested_by", Value(".")) - 1),
    ),
    default=F("requested_by"),
    output_field=CharField(),
)


def _area_name(label):
    """The app's name as the admin shows it; callers that are no app go to "Otros"."""
    try:
        return str(apps.get_app_config(label).verbose_name)
    except LookupError:
        return str(_("Otros"))


def cost_by_area(start, end):
    """[[area, calls, cost USD, share of the cost]] for the period, costliest first: one
    grouped query (as many groups as callers), merged by area in Python."""
    rows = (
        AIUsage.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(app=REQUESTING_APP)
        .values("app")
        .annotate(calls=Count("pk"), cost=Sum("cost_usd"))
        .order_by()
    )
    areas = {}
    for row in rows:
        area = areas.setdefault(_area_name(row["app"]), {"calls": 0, "cost": 0})
        area["calls"] += row["calls"]
        area["cost"] += float(row["cost"] or 0)
    total = sum(area["cost"] for area in areas.values())
    ranked = sorted(areas.items(), key=lambda item: (-item[1]["cost"], item[0]))
    return [
        [name, area["calls"], Readable(area["cost"]), _percent(area["cost"], total)]
        for name, area in ranked
    ]


def drafts_by_prompt_version(start, end):
    """[[kind in words, prompt file, version, decided, approved unedited %, edited %,
    rejected %]] for the drafts decided in the period. The version is the one the AI
    ledger recorded for the call that wrote the draft (`Draft.ai_usage`); drafts written
    without one call (content materials come from several) or before the ledger was
    linked show "—". One query."""
    rows = (
        decided.filter(decided_at__gte=start, decided_at__lt=end)
        .values("kind", "ai_usage__prompt_name", "ai_usage__prompt_version")
        .annotate(
            total=Count("pk"),
            unedited=Count("pk", filter=approved & unedited),
            edited=Count("pk", filter=approved & ~unedited),
            rejected=Count("pk", filter=Q(status=DraftStatus.REJECTED)),
        )
        .order_by("kind", "ai_usage__prompt_name", "ai_usage__prompt_version")
    )
    return [
        [
            kind_label(row["kind"]),
            # The prompt's file in templates/prompts/, which is what staff tune.
            f"{row['ai_usage__prompt_name']}.toml" if row["ai_usage__prompt_name"] else None,
            row["ai_usage__prompt_version"] or None,
            row["total"],
            _percent(row["unedited"], row["total"]),
            _percent(row["edited"], row["total"]),
            _percent(row["rejected"], row["total"]),
        ]
        for row in rows
    ]


register_table(
    KpiTable(
        key="ai.cost_by_area",
        area="ai",
        label=_("Coste de IA por área"),
        columns=(_("Área"), _("Llamadas"), _("Coste (USD)"), _("Parte del coste")),
        rows=cost_by_area,
    )
)
register_table(
    KpiTable(
        key="ai.drafts_by_prompt_version",
        area="ai",
        label=_("Borradores decididos por versión del prompt"),
        columns=(
            _("Tipo"),
            _("Prompt"),
            _("Versión"),
            _("Decididos"),
            _("Aprobados sin editar"),
            _("Aprobados con cambios"),
            _("Rechazados"),
        ),
        rows=drafts_by_prompt_version,
    )
)
