"""Totals of the usage ledger for the admin: per UTC day, per prompt, per model."""

import datetime as dt

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import gettext_lazy as _

from courseops.ai import breaker, budget
from courseops.ai.models import AIUsage
from courseops.core import display

_TOTALS = {
    "calls": Count("id"),
    "cache_hits": Count("id", filter=Q(cache_hit=True)),
    "offline": Count("id", filter=Q(offline=True)),
    "failed": Count("id", filter=Q(status="failed") | Q(status="over_budget")),
    "tokens_in": Sum("tokens_in"),
    "tokens_out": Sum("tokens_out"),
    "cost": Sum("cost_usd"),
}
HEADERS = [
    _("llamadas"),
    _("caché"),
    _("sin conexión"),
    _("fallidas"),
    _("tokens entrada"),
    _("tokens salida"),
    _("coste USD"),
]


def _row(label, totals):
    cost = totals["cost"] or 0
    return [
        label,
        totals["calls"],
        totals["cache_hits"],
        totals["offline"],
        totals["failed"],
        totals["tokens_in"] or 0,
        totals["tokens_out"] or 0,
        display.readable(cost),
    ]


def _prompt_label(row):
    """ "welcome_email (caché personal)": the cache column reads against the prompt's policy."""
    if not row["prompt_name"]:
        return str(_("(transcripción)"))
    if not row["cache_policy"]:
        return row["prompt_name"]
    policy = AIUsage.CachePolicy(row["cache_policy"]).label
    return f"{row['prompt_name']} ({_('caché')}: {policy})"


def usage_totals(queryset, *, days=14, top=10):
    """Unfold tables for the filtered ledger, in a fixed number of queries (four)."""
    queryset = queryset.order_by()
    by_day = (
        queryset.annotate(day=TruncDate("created_at", tzinfo=dt.UTC))
        .values("day")
        .annotate(**_TOTALS)
        .order_by("-day")[:days]
    )
    by_prompt = (
        queryset.values("prompt_name", "cache_policy")
        .annotate(**_TOTALS)
        .order_by("-cost", "-calls")[:top]
    )
    by_model = queryset.values("model").annotate(**_TOTALS).order_by("-cost", "-calls")[:top]
    return {
        "overall": _row(_("Total"), queryset.aggregate(**_TOTALS)),
        "by_day": {
            "headers": [_("día (UTC)"), *HEADERS],
            "rows": [_row(row["day"].isoformat(), row) for row in by_day],
        },
        "by_prompt": {
            "headers": [_("prompt"), *HEADERS],
            "rows": [_row(_prompt_label(row), row) for row in by_prompt],
        },
        "by_model": {
            "headers": [_("modelo"), *HEADERS],
            "rows": [_row(row["model"], row) for row in by_model],
        },
    }


def budget_today():
    """Today's spend against the limit, and whether the provider's circuit is open."""
    return {
        "spent": budget.spent_today(),
        "limit": budget.daily_limit(),
        "circuit_open": breaker.is_open(settings.AI_PROVIDER),
    }
