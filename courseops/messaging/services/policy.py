"""The send policy every message meets right before it goes out, whatever app queued it.

In order: consent (the apps that know people answer through `messaging.hooks`), quiet
hours in the person's own time zone, then the per-person budgets staff set
(`BudgetRule`). Transactional messages skip all three: a receipt or a class link is
never held back. A message held back is deferred (back in the queue with the reason on
it) or dropped, as its `over_budget` says; consent refusals are always dropped.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courseops.core.display import local_when, zone_label
from courseops.messaging.hooks import consent_refused
from courseops.messaging.models import (
    BudgetRule,
    Category,
    OutboundMessage,
    OverBudget,
    priority,
)

SEND, DEFER, DROP = "send", "defer", "drop"


@dataclass(frozen=True)
class Verdict:
    action: str
    until: datetime | None = None
    reason: str = ""
    # Let through under no budget rule: the sender records it as counted from then on.
    count_at: datetime | None = None


def person_zone(message):
    try:
        return zoneinfo.ZoneInfo(message.time_zone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def quiet_hours_end(*, now, tz, spec):
    """When the quiet hours `spec` ("21:00-09:00") around `now` end in `tz`; None if
    `now` is outside them."""
    if not spec:
        return None
    start, end = (time.fromisoformat(part.strip()) for part in spec.split("-"))
    local = now.astimezone(tz)
    moment = local.time()
    quiet = (start <= moment < end) if start < end else (moment >= start or moment < end)
    if not quiet:
        return None
    day = local.date() if moment < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=tz)


def _lock_person(key):
    # Two workers sending to the same person must not both see room for one more.
    # SQLite needs nothing: its transactions are IMMEDIATE (settings), one writer at once.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])


def active_rules():
    """The budget rules staff set, read once per batch of sends."""
    return list(BudgetRule.objects.filter(active=True))


def _rules_for(message, rules):
    return [
        rule
        for rule in rules
        if message.category in rule.categories and rule.channel in ("", message.channel)
    ]


def _next_free_slot(message, rule, now):
    """None if the person has room under `rule`, else when the oldest counted message
    leaves the rolling window."""
    mine = priority(message.category)
    counted = [c for c in rule.categories if c in Category.values and priority(c) <= mine]
    recent = OutboundMessage.objects.filter(
        person_key=message.person_key,
        budget_at__gt=now - timedelta(days=rule.period_days),
        category__in=counted,
    ).exclude(pk=message.pk)
    if rule.channel:
        recent = recent.filter(channel=rule.channel)
    times = list(recent.order_by("-budget_at").values_list("budget_at", flat=True)[: rule.limit])
    if len(times) < rule.limit:
        return None
    return min(times) + timedelta(days=rule.period_days)


def _over_budget(message, rule, slot, tz):
    reason = _("Límite «%(rule)s» (%(limit)s cada %(days)s días) alcanzado") % {
        "rule": rule.name,
        "limit": rule.limit,
        "days": rule.period_days,
    }
    if message.over_budget == OverBudget.DROP:
        return Verdict(DROP, reason=reason)
    when = local_when(slot, time_zone=tz.key)
    return Verdict(
        DEFER,
        until=slot,
        reason=_("%(reason)s: aplazado al %(when)s.")
        % {
            "reason": reason,
            "when": when,
        },
    )


def apply_policy(message, *, now=None, rules=None) -> Verdict:
    """Decide for one claimed message. A message let through under a budget rule is
    counted at once (inside the person's lock), so the next one already sees it; under
    none, nothing needs the lock and the sender counts it when it records the send.
    `rules` are the active budget rules (read here if not given)."""
    if message.category == Category.TRANSACTIONAL:
        return Verdict(SEND)
    now = now or timezone.now()
    if consent_refused(
        channel=message.channel, address=message.recipient, category=message.category
    ):
        return Verdict(DROP, reason=_("La persona no ha dado su consentimiento para esto."))
    tz = person_zone(message)
    if message.category in settings.MESSAGING_QUIET_HOURS_CATEGORIES:
        resume = quiet_hours_end(now=now, tz=tz, spec=settings.MESSAGING_QUIET_HOURS)
        if resume is not None:
            return Verdict(
                DEFER,
                until=resume,
                reason=_("Horario de descanso de la persona (%(zone)s): aplazado a las %(at)s.")
                % {"zone": zone_label(tz.key), "at": resume.strftime("%H:%M")},
            )
    applicable = _rules_for(message, active_rules() if rules is None else rules)
    if not applicable:
        return Verdict(SEND, count_at=now)
    closed = next((rule for rule in applicable if rule.limit == 0), None)
    if closed is not None:
        # "None of this kind": no slot ever frees, so it is dropped (staff may retry it
        # once the rule changes), whatever its `over_budget` says.
        return Verdict(
            DROP,
            reason=_("Límite «%(rule)s»: no se envía ningún mensaje de este tipo (máximo 0).")
            % {"rule": closed.name},
        )
    with transaction.atomic():
        _lock_person(message.person_key)
        for rule in applicable:
            slot = _next_free_slot(message, rule, now)
            if slot is not None:
                return _over_budget(message, rule, slot, tz)
        OutboundMessage.objects.filter(pk=message.pk).update(budget_at=now)
    return Verdict(SEND)
