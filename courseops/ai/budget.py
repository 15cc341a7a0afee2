"""Daily AI budget (UTC day) and prices from `settings.AI_PRICES`.

The check reads the ledger before each paid call; concurrent workers can overshoot the
budget by the calls already in flight, which is bounded and preferable to a global lock.
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from courseops.ai.models import AIUsage
from courseops.core.logging import get_logger

logger = get_logger(__name__)
MILLION = Decimal(1_000_000)


def start_of_day(now=None):
    now = (now or timezone.now()).astimezone(dt.UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


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
