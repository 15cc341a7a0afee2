"""Settling interrupted messages by asking their provider (a step of the outbox sweeper).

A worker killed after stamping a message and before recording the outcome leaves it
`interrupted`: it may have gone out (services.sending). The sweeper asks the provider
whether it took it (providers.lookup):

- found: the row is `sent`, with the provider's message id, as a send the provider
  confirmed;
- not found, once the provider's settle time has passed since the call: back to the queue
  exactly as a row whose worker died before its call (not an attempt), or dropped with
  the true reason if its moment passed meanwhile;
- unknown (an error, a timeout, no way to ask): it stays interrupted and is asked again
  later, less and less often, until `GIVE_UP_AFTER`; then staff decide, as before.

Each row is claimed with a conditional UPDATE (`provider_check_at` moved past a lease
while the row is still interrupted and still due), so of two sweepers only one asks and
resends; the provider is called outside any transaction, and the outcome is recorded only
while the row is still interrupted and still this sweeper's claim (staff may have resent
it meanwhile).
"""

import logging
import time
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from courseops.audit.services import log_action
from courseops.core.display import local_when
from courseops.messaging.models import Category, OutboundMessage, Status
from courseops.messaging.providers import FOUND, NOT_FOUND
from courseops.messaging.providers.lookup import CLOCK_SKEW, find_sent
from courseops.messaging.services.outbox import requeued_fields
from courseops.messaging.services.sending import expired_reason

logger = logging.getLogger(__name__)

# A claimed row is not asked about by another sweeper for this long: longer than any
# lookup takes (each has the provider's timeout, seconds).
CHECK_LEASE = timedelta(minutes=2)
# An unknown answer is asked again after as long as the call is old, within these bounds:
# 1, 2, 4... minutes after the call, then every half hour.
FIRST_RECHECK = timedelta(minutes=1)
MAX_RECHECK = timedelta(minutes=30)
# Past this after the call, a provider that could not answer is no longer asked: staff
# decide. A provider's outage rarely lasts longer, and its answer would come late for
# most messages anyway.
GIVE_UP_AFTER = timedelta(hours=6)
# Per sweep: bounded in rows and in time, so that a slow provider does not hold the beat.
RECONCILE_BATCH = 50
RECONCILE_SECONDS = 20.0
# What the lookup needs of a row; the bodies of an email are not read.
_FIELDS = (
    "pk",
    "channel",
    "category",
    "recipient",
    "text_body",
    "expires_at",
    "time_zone",
    "provider_called_at",
    "provider_check_at",
    "budget_at",
    "status",
)


def reconcile_interrupted_messages(*, now=None, batch_size=RECONCILE_BATCH) -> Counter:
    """Ask the providers of the interrupted rows that are due; returns how many rows ended
    in each outcome (`sent`, `requeued`, `dropped`, `waiting`: a "not found" too soon to
    believe, `unknown`, `given_up`: left to staff, `moved_on`: staff acted meanwhile)."""
    now = now or timezone.now()
    outcomes = Counter()
    due = list(
        OutboundMessage.objects.filter(status=Status.INTERRUPTED, provider_check_at__lte=now)
        .order_by("provider_check_at")
        .only(*_FIELDS)[:batch_size]
    )
    if not due:
        return outcomes
    started = time.monotonic()
    for message in due:
        if time.monotonic() - started > RECONCILE_SECONDS:
            break  # the rest stay due: the next sweep asks
        lease = now + CHECK_LEASE
        claimed = OutboundMessage.objects.filter(
            pk=message.pk, status=Status.INTERRUPTED, provider_check_at=message.provider_check_at
        ).update(provider_check_at=lease)
        if not claimed:  # another sweeper has it, or staff acted
            continue
        message.provider_check_at = lease
        outcomes[_settle(message, now=now)] += 1
    if outcomes:
        logger.info("messaging.reconcile", extra=dict(outcomes))
    return outcomes


def _settle(message, *, now):
    """Ask about one claimed row and record what its provider said; returns the outcome."""
    # Set whenever `provider_check_at` is (services.outbox.interrupt_stuck_messages).
    called_at = message.provider_called_at
    answer = find_sent(message, since=called_at - CLOCK_SKEW)
    if answer.answer == FOUND:
        return _confirmed(message, answer, now=now)
    if answer.answer == NOT_FOUND and now >= called_at + answer.settle:
        return _not_received(message, answer, now=now)
    if answer.answer == NOT_FOUND:  # too soon to believe: asked again once it settled
        _update(message, provider_check_at=called_at + answer.settle)
        return "waiting"
    return _unanswered(message, answer, now=now)


def _update(message, **fields):
    """Record on the row only while it is still interrupted and still this claim's."""
    fields.setdefault("updated_at", timezone.now())
    return OutboundMessage.objects.filter(
        pk=message.pk, status=Status.INTERRUPTED, provider_check_at=message.provider_check_at
    ).update(**fields)


def _confirmed(message, answer, *, now):
    reason = _(
        "El worker se detuvo durante la llamada al proveedor, pero %(provider)s confirma que "
        "lo recibió: consta como enviado."
    ) % {"provider": answer.provider}
    fields = {
        "status": Status.SENT,
        "sent_at": answer.accepted_at or message.provider_called_at,
        "provider": answer.provider,
        "provider_message_id": answer.provider_message_id,
        "provider_check_at": None,
        "last_error": reason,
    }
    # It reached the person: it counts in their budget, as a recorded send does.
    if message.budget_at is None and message.category != Category.TRANSACTIONAL:
        fields["budget_at"] = message.provider_called_at
    if not _update(message, **fields):
        return "moved_on"
    log_action(
        message,
        "messaging.message.provider_confirmed",
        data={"provider": answer.provider, "provider_message_id": answer.provider_message_id},
    )
    return "sent"


def _not_received(message, answer, *, now):
    reason = _("El proveedor confirma que no lo recibió: se envía de nuevo.")
    late = expired_reason(message, now=now)
    if late:
        fields = {
            "status": Status.DROPPED,
            "provider_check_at": None,
            "last_error": _("El proveedor confirma que no lo recibió. %(late)s") % {"late": late},
        }
        outcome = "dropped"
    else:
        fields = requeued_fields(now=now, reason=reason)
        outcome = "requeued"
    if not _update(message, **fields):
        return "moved_on"
    log_action(
        message, "messaging.message.provider_not_received", data={"provider": answer.provider}
    )
    return outcome


def _unanswered(message, answer, *, now):
    provider = answer.provider or _("el proveedor")
    if not answer.askable:
        reason = _(
            "Interrumpido durante la llamada al proveedor: puede haberse enviado, y no se "
            "puede preguntar a %(provider)s si lo recibió. Revise antes de reenviar."
        ) % {"provider": provider}
        _update(message, provider_check_at=None, last_error=reason)
        return "given_up"
    called_at = message.provider_called_at
    if now - called_at >= GIVE_UP_AFTER:
        reason = _(
            "Interrumpido durante la llamada al proveedor: puede haberse enviado, y "
            "%(provider)s no lo ha confirmado en %(hours)s horas (%(detail)s). Revise antes "
            "de reenviar."
        ) % {
            "provider": provider,
            "hours": int(GIVE_UP_AFTER.total_seconds() // 3600),
            "detail": answer.detail,
        }
        _update(message, provider_check_at=None, last_error=reason)
        return "given_up"
    next_check = now + min(max(now - called_at, FIRST_RECHECK), MAX_RECHECK)
    reason = _(
        "Interrumpido durante la llamada al proveedor: puede haberse enviado, y "
        "%(provider)s no ha podido confirmarlo (%(detail)s). Se le preguntará de nuevo el "
        "%(when)s."
    ) % {
        "provider": provider,
        "detail": answer.detail,
        "when": local_when(next_check, time_zone=settings.TIME_ZONE),
    }
    _update(message, provider_check_at=next_check, last_error=reason)
    return "unknown"
