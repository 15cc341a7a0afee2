"""AI budgets and prices from `settings.AI_PRICES`: a daily budget (UTC day), and
optionally a monthly one, overall and per area (the app that asked: the part of
`requested_by` before the first dot).

The check reads the ledger before each paid call; concurrent workers can overshoot the
budget by the calls already in flight, which is bounded and preferable to a global lock.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from courseops.ai.models import AIUsage
from courseops.core.logging import get_logger

logger = get_logger(__name__)
MILLION = Decimal(1_000_000)


def start_of_day(now=None):
    now = (now or timezone.now()).astimezone(dt.UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def start_of_month(now=None):
    return start_of_day(now).replace(day=1)


def area_of(requested_by):
    """ "marketing" for "marketing.sequence": budgets per area follow the app that asked."""
    return (requested_by or "").split(".", 1)[0]


@dataclass(frozen=True)
class Limit:
    """A budget that is spent: what to tell staff, and when spending may start again."""

    message: str
    retry_after: int


def _spent(since, area=None):
    rows = AIUsage.objects.filter(created_at__gte=since)
    if area is not None:
        rows = rows.filter(Q(requested_by=area) | Q(requested_by__startswith=f"{area}."))
    return rows.aggregate(total=Sum("cost_usd"))["total"] or Decimal(0)


def _seconds_until(moment):
    return int((moment - timezone.now()).total_seconds()) + 1


def _next_month(now=None):
    start = start_of_month(now)
    return (start + dt.timedelta(days=32)).replace(day=1)


def exhausted(requested_by=""):
    """The first spent budget for a call asked by `requested_by` (daily, monthly, its
    area's monthly), or None when it may go ahead. One query per budget configured."""
    if is_spent():
        return Limit(
            _("Presupuesto diario de IA agotado (%(limit)s USD); en cola hasta mañana (UTC).")
            % {"limit": daily_limit()},
            seconds_until_reset(),
        )
    monthly = Decimal(str(settings.AI_MONTHLY_BUDGET_USD or 0))
    if monthly and _spent(start_of_month()) >= monthly:
        return Limit(
            _("Presupuesto mensual de IA agotado (%(limit)s USD); en cola hasta el día 1 (UTC).")
            % {"limit": monthly},
            _seconds_until(_next_month()),
        )
    area = area_of(requested_by)
    area_limit = Decimal(str(settings.AI_AREA_MONTHLY_BUDGETS_USD.get(area) or 0))
    if area and area_limit and _spent(start_of_month(), area) >= area_limit:
        return Limit(
            _(
                "Presupuesto mensual de IA del área %(area)s agotado (%(limit)s USD); en cola "
                "hasta el día 1 (UTC)."
            )
            % {"area": area, "limit": area_limit},
            _seconds_until(_next_month()),
        )
    return None


def spent_today():
    total = AIUsage.objects.filter(created_at__gte=start_of_day()).aggregate(total=Sum("cost_usd"))[
        "total"
    ]
    return total or Decimal(0)


def daily_limit():
    return Decimal(str(settings.AI_DAILY_BUDGET_USD))


def is_spent():
    return spent_today() >= daily_limit()


def seconds_until_reset():
    now = timezone.now()
    return int((start_of_day(now) + dt.timedelta(days=1) - now).total_seconds()) + 1


def _price(model, unit):
    price = settings.AI_PRICES.get(model, {}).get(unit)
    if price is None:
        # Self-hosted models cost nothing per token; a paid model missing here is a
        # settings mistake that would hide spend from the budget, so say it loudly.
        logger.warning("ai.price_missing", model=model, unit=unit)
        return Decimal(0)
    return Decimal(str(price))


def token_cost(model, tokens_in, tokens_out, *, cached=0):
    """Input tokens the provider served from its prompt cache (`cached`, part of
    `tokens_in`) are billed at the model's "cached_input" price when it has one."""
    cached = min(cached, tokens_in)
    cached_price = settings.AI_PRICES.get(model, {}).get("cached_input")
    cached_price = _price(model, "input") if cached_price is None else Decimal(str(cached_price))
    return (
        _price(model, "input") * (tokens_in - cached)
        + cached_price * cached
        + _price(model, "output") * tokens_out
    ) / MILLION


def audio_cost(model, seconds):
    return _price(model, "per_minute") * Decimal(str(seconds)) / 60
