"""Sending outbox rows, exactly once, a batch at a time.

A worker claims its whole batch with one conditional `UPDATE ... RETURNING` (of two
workers racing for a row exactly one gets it back), checks the suppression list and
loads the budget rules once for the batch, stamps each row just before its own provider
call (an insert into `ProviderCall`: a worker dying from then on may have sent it, the
sweeper holds it for staff; one dying before is a plain resend), talks to the provider
outside any transaction, and records every outcome with one UPDATE at the end (deleting
the batch's stamps with it). A batch of one is the same path.

On PostgreSQL the stamp is committed asynchronously (it does not wait for the disk's
flush, which cost more than the rest of a send): a worker's death cannot lose it, only a
crash of PostgreSQL itself, which loses at most the last moments' asynchronous commits.
The claim, committed synchronously, records the database's incarnation
(`INCARNATION_TABLE`), and the sweeper resends a dead worker's unstamped row only if it
was claimed in the current incarnation; one claimed before a crash recovery goes to
staff, since its stamp may be what the crash lost. SQLite commits the stamp like any
other write.
"""

import functools
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from courseops.core import liveness
from courseops.core.display import local_when
from courseops.messaging.hooks import messages_withheld, rollout_holds, send_refusal
from courseops.messaging.models import (
    PENDING,
    Channel,
    OutboundMessage,
    ProviderCall,
    PushSubscription,
    Status,
)
from courseops.messaging.providers import SendError, get_sms_backend
from courseops.messaging.providers.email import send_email
from courseops.messaging.providers.push import WebPushBackend
from courseops.messaging.services.policy import DEFER, DROP, active_rules, apply_policy
from courseops.messaging.services.push import push_ttl
from courseops.messaging.services.suppression import suppress, suppressed_among

logger = logging.getLogger(__name__)

# What the sweeper hands one task at a time: large enough that the per-batch queries
# vanish beside the sends, small enough that a worker killed mid-batch leaves few rows
# sent but unrecorded (those wait for staff as interrupted, never resent blindly).
SEND_BATCH = 100
WITHHELD = (Status.SHADOWED, Status.HELD, Status.CANCELED)


@dataclass(frozen=True)
class Delivery:
    """What one send attempt ended in; `retry_at` is set when a retry is scheduled."""

    status: str
    retry_at: datetime | None = None
    category: str = ""  # the message's kind: its queue and priority for the retry


# An UNLOGGED one-row table (migration 0015): PostgreSQL empties it in every crash
# recovery and a promoted standby has it empty, while a clean shutdown (which flushes every
# asynchronous commit) keeps it. The time its row was created names the incarnation.
INCARNATION_TABLE = "messaging_server_incarnation"
# The current incarnation; NULL if no claim has created the marker since the last crash.
CURRENT_INCARNATION = "SELECT started_at FROM messaging_server_incarnation WHERE id = 1"
# The claim's prefix: the first claim after a crash recovery creates the marker. A claim
# racing that creation and not seeing it records NULL: held for staff if its worker dies,
# the safe side.
_MARKER_CTE = (
    "WITH marker AS (INSERT INTO messaging_server_incarnation (id, started_at) "
    "VALUES (1, clock_timestamp()) ON CONFLICT (id) DO NOTHING RETURNING started_at) "
)
_CLAIMED_INCARNATION = (
    "claimed_incarnation = COALESCE((SELECT started_at FROM marker), "
    "(SELECT started_at FROM messaging_server_incarnation WHERE id = 1)), "
)


def _claim_sql(count):
    meta = OutboundMessage._meta
    quote = connection.ops.quote_name
    returned = ", ".join(
        quote(field.column) for field in meta.concrete_fields if field.name != "context"
    )
    # Only names from the model and placeholders go into the text; values are parameters.
    ids = ", ".join(["%s"] * count)
    postgresql = connection.vendor == "postgresql"
    marker = _MARKER_CTE if postgresql else ""
    incarnation = _CLAIMED_INCARNATION if postgresql else ""
    return (
        f"{marker}UPDATE {quote(meta.db_table)} SET status = %s, claimed_at = %s, "  # noqa: S608
        f"held_by = %s, {incarnation}provider_called_at = NULL, attempts = attempts + 1, "
        f"updated_at = %s WHERE id IN ({ids}) AND status IN (%s, %s) "
        f"AND next_attempt_at <= %s RETURNING {returned}"
    )


def claim_messages(*, message_ids) -> list[OutboundMessage]:
    """Take the due, pending rows among `message_ids` for sending (one statement, its
    own short transaction); the rows another worker has or that left are not returned."""
    ids = list(dict.fromkeys(int(pk) for pk in message_ids))
    if not ids:
        return []
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params = [Status.SENDING, now, liveness.me(), now, *ids, *PENDING, now]
    # raw() applies the fields' converters (the encrypted SMS recipient, JSON, times);
    # the template context is never needed to send, so it is not read.
    return list(OutboundMessage.objects.raw(_claim_sql(len(ids)), params))


@functools.cache  # one database per process: its vendor's quoting does not change
def _stamp_sql(*, asynchronous):
    table = connection.ops.quote_name(ProviderCall._meta.db_table)
    # An upsert: a stamp some earlier attempt left behind (none should: recording and the
    # sweeper delete them) must not make this send fail.
    upsert = "ON CONFLICT (message_id) DO UPDATE SET called_at = EXCLUDED.called_at"
    if not asynchronous:
        return f"INSERT INTO {table} (message_id, called_at) VALUES (%s, %s) {upsert}"  # noqa: S608
    # The statement turns off `synchronous_commit` for its own transaction, which
    # PostgreSQL reads when that transaction commits ("the behavior for any one transaction
    # is determined by the setting in effect when it commits"): one round trip, and safe
    # behind pgbouncer's transaction pooling, where a session-level SET would leak to
    # whichever client gets the connection next.
    return (
        f"INSERT INTO {table} (message_id, called_at) "  # noqa: S608
        "SELECT CAST(%s AS bigint), CAST(%s AS timestamp with time zone) "
        "FROM (SELECT set_config('synchronous_commit', 'off', true)) AS local_setting "
        f"{upsert}"
    )


def _stamp_provider_call(message, *, cursor=None):
    """From now on it may have gone out (as late as possible, once the email is built).

    On PostgreSQL, in a statement of its own (a worker's autocommit), the commit does not
    wait for the disk's flush: a dead worker's stamp is in the database all the same, and
    the one loss possible, a crash of PostgreSQL itself in the next moments, is covered by
    the claim's incarnation (module docstring). Inside a caller's transaction it would turn
    off the durability of that whole transaction, so there, and on SQLite, it is an
    ordinary write. An insert into the narrow `ProviderCall`, not an UPDATE of the outbox
    row: that row's new version would be written into every one of its indexes.
    `cursor`: the batch's (one per batch, not one per message)."""
    message.provider_called_at = now = timezone.now()
    asynchronous = connection.vendor == "postgresql" and not connection.in_atomic_block
    params = [message.pk, connection.ops.adapt_datetimefield_value(now)]
    if cursor is not None:
        cursor.execute(_stamp_sql(asynchronous=asynchronous), params)
        return
    with connection.cursor() as cursor:
        cursor.execute(_stamp_sql(asynchronous=asynchronous), params)


def _send(message, backends):
    if message.channel == Channel.EMAIL:
        return send_email(
            on_call=lambda: backends.stamp(message),
            to=message.recipient,
            subject=message.subject,
            text=message.text_body,
            html=message.html_body,
            headers=message.headers,
            outbound_id=message.pk,
            attachments=message.attachments,
            from_email=message.from_email,
            connection=backends.email(),
        )
    if message.channel == Channel.PUSH:
        return _send_push(message, backends)
    backends.stamp(message)
    return backends.sms().send(to=message.recipient, body=message.text_body)


def _send_push(message, backends):
    subscriptions = list(PushSubscription.objects.filter(address=message.recipient))
    if not subscriptions:  # unsubscribed since it was queued: nothing was sent
        raise SendError(_("La persona ya no tiene ningún navegador suscrito."), permanent=True)
    backends.stamp(message)
    options = message.headers or {}
    return backends.push().send(
        subscriptions=subscriptions,
        title=message.subject,
        body=message.text_body,
        url=options.get("url", ""),
        ttl=push_ttl(message),
        urgency=options.get("urgency", "normal"),
    )


class _Backends:
    """What a batch builds once: the email connection and SMS and push backends (on first
    use), and the cursor its stamps go through."""

    def __init__(self):
        self._email = self._sms = self._push = self._cursor = None

    def email(self):
        from django.core.mail import get_connection

        self._email = self._email or get_connection()
        return self._email

    def sms(self):
        self._sms = self._sms or get_sms_backend()
        return self._sms

    def push(self):
        self._push = self._push or WebPushBackend()
        return self._push

    def stamp(self, message):
        self._cursor = self._cursor or connection.cursor()
        _stamp_provider_call(message, cursor=self._cursor)

    def close(self):
        if self._cursor is not None:
            self._cursor.close()


def _record(outcomes):
    """Record the batch's outcomes (`{pk: {field: value}}`): one UPDATE per kind of
    outcome (in a normal batch, one for all), leaving alone any row that moved on
    meanwhile (a provider event got there first), and drop the batch's stamps in the same
    transaction (a recorded outcome is what the stamp stood for until now)."""
    now = timezone.now()
    kinds = defaultdict(dict)
    for pk, fields in outcomes.items():
        plain = not any(hasattr(value, "resolve_expression") for value in fields.values())
        kinds[plain, tuple(sorted(fields))][pk] = fields
    with transaction.atomic():
        for (plain, names), rows in kinds.items():
            if plain and connection.vendor == "postgresql":
                _update_from_values(rows, names, now)
            else:
                _update_by_cases(rows, names, now)
        ProviderCall.objects.filter(message_id__in=list(outcomes)).delete()


def _update_from_values(rows, names, now):
    # A join with a VALUES list: compiling a CASE per column and row cost about 2 ms a
    # message in Django, more than the rest of the send.
    quote = connection.ops.quote_name
    table = quote(OutboundMessage._meta.db_table)
    fields = [OutboundMessage._meta.get_field(name) for name in names]
    columns = [quote(field.column) for field in fields]
    casts = ", ".join(f"CAST(%s AS {field.db_type(connection)})" for field in fields)
    params = [connection.ops.adapt_datetimefield_value(now)]
    for pk, values in rows.items():
        params.append(pk)
        params += [field.get_db_prep_value(values[field.name], connection) for field in fields]
    params += [Status.SENDING, Status.INTERRUPTED]
    assignments = ", ".join(f"{column} = v.{column}" for column in columns)
    values_sql = ", ".join([f"(%s, {casts})"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {assignments}, updated_at = %s "  # noqa: S608 (model names)
            f"FROM (VALUES {values_sql}) AS v(id, {', '.join(columns)}) "
            f"WHERE {table}.id = v.id AND {table}.status IN (%s, %s)",
            params,
        )


def _update_by_cases(rows, names, now):
    updates = {"updated_at": now}
    for name in names:
        values = {pk: fields[name] for pk, fields in rows.items()}
        distinct = set(values.values())
        if len(distinct) == 1:
            updates[name] = distinct.pop()
            continue
        updates[name] = Case(
            *(
                When(pk=pk, then=value if hasattr(value, "resolve_expression") else Value(value))
                for pk, value in values.items()
            ),
            output_field=OutboundMessage._meta.get_field(name),
        )
    OutboundMessage.objects.filter(
        pk__in=list(rows), status__in=(Status.SENDING, Status.INTERRUPTED)
    ).update(**updates)


def _deferred(*, until, reason):
    """Back to the queue until `until`; not an attempt, so it does not use up retries."""
    return {
        "status": Status.QUEUED,
        "attempts": F("attempts") - 1,
        "claimed_at": None,
        "next_attempt_at": until,
        "dispatched_at": None,  # the sweeper hands it to a worker when due
        "policy_note": reason[:300],
    }


def _released():
    return {
        "status": Status.QUEUED,
        "attempts": F("attempts") - 1,
        "held_by": "",
        "claimed_at": None,
        "next_attempt_at": timezone.now(),
        "dispatched_at": None,
    }


def _failure(message, exc, *, max_attempts, retry_delay):
    """The outcome of a provider's refusal: (fields to record, Delivery)."""
    error = str(exc)[:2000]
    if exc.suppress_reason:
        suppress(
            channel=message.channel,
            address=message.recipient,
            reason=exc.suppress_reason,
            source=f"provider refusal on message {message.pk}",
        )
        # It did not reach the person: it does not use up their budget either.
        fields = {"status": Status.SUPPRESSED, "last_error": error, "budget_at": None}
        return fields, Delivery(Status.SUPPRESSED)
    if exc.permanent or message.attempts >= max_attempts:
        logger.warning("messaging.send.failed", extra={"message_id": message.pk, "error": error})
        fields = {"status": Status.FAILED, "last_error": error, "budget_at": None}
        return fields, Delivery(Status.FAILED)
    next_attempt = timezone.now() + retry_delay(message.attempts)
    fields = {
        "status": Status.AWAITING_RETRY,
        "next_attempt_at": next_attempt,
        # The task schedules its own retry for then; the sweeper steps in after the lease.
        "dispatched_at": next_attempt,
        "last_error": error,
    }
    return fields, Delivery(Status.AWAITING_RETRY, retry_at=next_attempt, category=message.category)


def expired_reason(message, *, now=None):
    """Why `message` must not leave any more because its moment passed ("" before then):
    a reminder released by staff after its webinar started is dropped, not sent late."""
    now = now or timezone.now()
    if message.expires_at is None or now < message.expires_at:
        return ""
    return _("Su momento pasó (debía salir antes del %(when)s): no se envía tarde.") % {
        "when": local_when(message.expires_at, time_zone=message.time_zone or settings.TIME_ZONE)
    }


def _deliver(message, *, blocked, held, rules, backends, max_attempts, retry_delay):
    """One claimed row's outcome: (fields to record, Delivery)."""
    if message.pk in blocked:
        error = _("Dirección en la lista de supresión.")
        fields = {"status": Status.SUPPRESSED, "last_error": error}
        return fields, Delivery(Status.SUPPRESSED)
    late = expired_reason(message)
    if late:
        return {"status": Status.DROPPED, "last_error": late}, Delivery(Status.DROPPED)
    # Checked at the last moment: a message may wait hours (quiet hours, budgets, retries).
    stale = send_refusal(message)
    if stale:
        return {"status": Status.DROPPED, "last_error": stale}, Delivery(Status.DROPPED)
    if message.pk in held:  # its automation is in shadow or in review for this person
        status, reason = held[message.pk]
        fields = {"status": status, "last_error": reason[:2000]}
        if status == Status.HELD:  # waits for staff: not a try, and no longer dispatched
            fields.update(attempts=F("attempts") - 1, claimed_at=None, dispatched_at=None)
        return fields, Delivery(status)
    verdict = apply_policy(message, rules=rules)
    if verdict.action == DROP:
        return {"status": Status.DROPPED, "last_error": verdict.reason}, Delivery(Status.DROPPED)
    if verdict.action == DEFER:
        return _deferred(until=verdict.until, reason=verdict.reason), Delivery(Status.QUEUED)
    try:
        result = _send(message, backends)
    except SendError as exc:
        return _failure(message, exc, max_attempts=max_attempts, retry_delay=retry_delay)
    except Exception as exc:
        # Unknown failure: we cannot tell whether it went out, so it is not retried
        # automatically; staff see the error and decide.
        logger.exception("messaging.send.crashed", extra={"message_id": message.pk})
        fields = {"status": Status.FAILED, "last_error": f"{type(exc).__name__}: {exc}"}
        return fields, Delivery(Status.FAILED)
    fields = {
        "status": Status.SENT,
        "sent_at": timezone.now(),
        "provider": result.provider,
        "provider_message_id": result.provider_message_id,
        "last_error": "",
    }
    if verdict.count_at is not None:  # counted in the person's budget from now on
        fields["budget_at"] = verdict.count_at
    return fields, Delivery(Status.SENT)


def deliver_messages(*, message_ids, max_attempts, retry_delay) -> dict[int, Delivery]:
    """Send the rows among `message_ids` that are due and still pending; returns what
    each claimed row ended in (rows another worker has, or that left, are not in it).

    `retry_delay(attempts) -> timedelta` and `max_attempts` are the caller's (the
    task's) retry policy for transient errors.
    """
    messages = claim_messages(message_ids=message_ids)
    if not messages:
        return {}
    blocked = suppressed_among(messages)
    held = rollout_holds(messages)
    rules = active_rules()
    backends = _Backends()
    outcomes, deliveries = {}, {}
    try:
        for message in messages:
            outcomes[message.pk], deliveries[message.pk] = _deliver(
                message,
                blocked=blocked,
                held=held,
                rules=rules,
                backends=backends,
                max_attempts=max_attempts,
                retry_delay=retry_delay,
            )
            if message.provider_called_at:  # the stamp's time, kept on the row for staff
                outcomes[message.pk]["provider_called_at"] = message.provider_called_at
    finally:
        # Whatever stopped the loop (a database error in a check), what was decided is
        # recorded and the rows not reached go back to the queue: none of them had
        # called the provider (its errors are caught above).
        backends.close()
        for message in messages:
            outcomes.setdefault(message.pk, _released())
        _record(outcomes)
    withheld = {pk: d.status for pk, d in deliveries.items() if d.status in WITHHELD}
    if withheld:  # the apps that queued them learn they did not leave (a nudge, a reminder)
        messages_withheld.send(sender=OutboundMessage, withheld=withheld)
    return deliveries


def deliver_message(*, message_id, max_attempts, retry_delay) -> Delivery | None:
    """Send one outbox row if it is due and still pending; None if there was nothing to do."""
    deliveries = deliver_messages(
        message_ids=[message_id], max_attempts=max_attempts, retry_delay=retry_delay
    )
    return deliveries.get(int(message_id))
