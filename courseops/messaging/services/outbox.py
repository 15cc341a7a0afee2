"""Queueing and sending outbox rows, exactly once.

Queue functions run in the caller's transaction and enqueue the send task on commit.
Sending claims the row with a conditional UPDATE, talks to the provider outside any
transaction and records the outcome with another conditional UPDATE, so a re-run or
duplicated task finds nothing to claim and never sends twice.
"""

import base64
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from courseops.audit.services import log_action
from courseops.core import liveness
from courseops.core.routing import outbox_send_options
from courseops.messaging.hooks import Person, address_key, find_person, send_refusal
from courseops.messaging.models import (
    PENDING,
    RETRYABLE,
    Category,
    Channel,
    OutboundMessage,
    OverBudget,
    Status,
)
from courseops.messaging.providers import SendError, get_sms_backend
from courseops.messaging.providers.email import send_email
from courseops.messaging.services.addresses import (
    normalize_email,
    normalize_phone,
    normalize_sender,
)
from courseops.messaging.services.policy import DEFER, DROP, apply_policy
from courseops.messaging.services.rendering import inline_css, render_email, render_sms
from courseops.messaging.services.suppression import (
    OPT_OUT_CATEGORIES,
    is_suppressed,
    suppress,
    unsubscribe_url,
)

logger = logging.getLogger(__name__)

# A row dispatched to a worker is not re-dispatched by the sweeper before this (its task
# may wait behind others in its queue; a task lost with a killed worker is sent again
# after it). The critical queue never has a backlog: its kinds are retried sooner.
DISPATCH_LEASE = timedelta(minutes=5)
URGENT_DISPATCH_LEASE = timedelta(minutes=1)
URGENT_CATEGORIES = (Category.TRANSACTIONAL, Category.BILLING)
# Longer than any send can take (timeouts are seconds): a row still `sending` after
# this had its worker killed mid-send.
STUCK_AFTER = timedelta(minutes=15)
SWEEP_BATCH = 500
SWEEP_MAX_BATCHES = 20


@dataclass(frozen=True)
class Delivery:
    """What one send attempt ended in; `retry_at` is set when a retry is scheduled."""

    status: str
    retry_at: datetime | None = None
    category: str = ""  # the message's kind: its queue and priority for the retry


def _enqueue_on_commit(message_id, category):
    """Send it from a worker after commit, on the queue and with the priority of its kind
    (courseops.core.routing): a sign-in link never waits behind a newsletter."""
    from courseops.messaging.tasks import send_message

    options = outbox_send_options(category)
    transaction.on_commit(lambda: send_message.apply_async(args=[message_id], **options))


class _ContextEncoder(DjangoJSONEncoder):
    def default(self, o):
        try:
            return super().default(o)
        except TypeError:
            return str(o)  # a model instance or the like: kept for reference only


def _jsonable(value):
    """What can be stored of a template context (it was rendered with the real objects)."""
    return json.loads(json.dumps(value or {}, cls=_ContextEncoder))


def _create_once(*, idempotency_key, fields):
    """Insert the row, or return the one already holding the key (race safe).

    The callers looked the key up first (to skip rendering); this covers a concurrent
    transaction inserting it since: the unique index makes us wait for it, then fail.
    """
    try:
        with transaction.atomic():
            message = OutboundMessage.objects.create(idempotency_key=idempotency_key, **fields)
    except IntegrityError:
        return OutboundMessage.objects.get(idempotency_key=idempotency_key), False
    return message, True


def _common_fields(
    *, channel, to, category, over_budget, send_at, related, context, template, language
):
    if category not in Category.values:
        raise ValidationError(_("Categoría desconocida: %(c)s"), params={"c": category})
    if over_budget not in OverBudget.values:
        raise ValidationError(
            _("Valor desconocido de over_budget: %(v)s"), params={"v": over_budget}
        )
    now = timezone.now()
    # Transactional messages meet no policy: no need to know whose address it is.
    person = (
        find_person(channel=channel, address=to)
        if category != Category.TRANSACTIONAL
        else Person(key=address_key(channel, to))
    )
    fields = {
        "channel": channel,
        "recipient": to,
        "person_key": person.key[:260],
        "time_zone": person.time_zone[:64],
        "over_budget": over_budget,
        "category": category,
        "template": template or "",
        "context": _jsonable(context),
        "language": language or "",
        "send_at": send_at,
        "next_attempt_at": max(send_at, now) if send_at else now,
        # Due now: the on-commit task is the dispatch. Later: the sweeper dispatches.
        "dispatched_at": None if send_at and send_at > now else now,
    }
    if related is not None:
        fields["content_type"] = ContentType.objects.get_for_model(related)
        fields["object_id"] = str(related.pk)
    return fields


def _validate_key(idempotency_key):
    if not idempotency_key or len(idempotency_key) > 200:
        raise ValidationError(_("La clave de idempotencia es obligatoria (máx. 200 caracteres)."))


def queue_email(
    *,
    to,
    idempotency_key,
    subject=None,
    html=None,
    text=None,
    template=None,
    context=None,
    category=Category.TRANSACTIONAL,
    send_at=None,
    related=None,
    language=None,
    headers=None,
    attachments=None,
    over_budget=OverBudget.DEFER,
    from_email=None,
) -> OutboundMessage:
    """Queue one email; the same `idempotency_key` returns the existing row untouched.

    Give a `template` (rendered now, with `context`) or a `subject` with `html` and/or
    `text`. `attachments` is a list of `(filename, content, mimetype)` with content as
    bytes or str (stored in the row, so keep them small: an `.ics`, not a video).
    Marketing and engagement mail (what an unsubscribe stops) get one-click
    unsubscribe headers, and `unsubscribe_url` in the template context.
    `over_budget` says what the send policy does if the person's cap is reached:
    "defer" (wait for the next free slot) or "drop" (news that would be stale).
    `from_email` ("Name <address>") is the From; by default `DEFAULT_FROM_EMAIL`.
    """
    _validate_key(idempotency_key)
    existing = OutboundMessage.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    if not template and not (subject and (html or text)):
        raise ValidationError(_("Indique una plantilla, o un asunto con HTML o texto."))
    to = normalize_email(to)
    from_email = normalize_sender(from_email) if from_email else ""
    context = dict(context or {})
    headers = dict(headers or {})
    if category in OPT_OUT_CATEGORIES:
        url = unsubscribe_url(address=to, language=language)
        context["unsubscribe_url"] = url
        headers["List-Unsubscribe"] = f"<{url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if template:
        rendered_subject, html, rendered_text = render_email(
            template=template, context=context, language=language
        )
        subject = subject or rendered_subject
        text = text or rendered_text
    elif html:
        html = inline_css(html)
    fields = _common_fields(
        channel=Channel.EMAIL,
        to=to,
        category=category,
        over_budget=over_budget,
        send_at=send_at,
        related=related,
        context=context,
        template=template,
        language=language,
    )
    fields.update(
        subject=" ".join(subject.split())[:255],
        html_body=html or "",
        text_body=text or "",
        headers=headers,
        attachments=_stored_attachments(attachments),
        from_email=from_email,
    )
    return _queue(idempotency_key=idempotency_key, fields=fields)


def _stored_attachments(attachments):
    stored = []
    for filename, content, mimetype in attachments or ():
        raw = content.encode() if isinstance(content, str) else bytes(content)
        stored.append(
            {
                "filename": filename,
                "mimetype": mimetype,
                "content_b64": base64.b64encode(raw).decode("ascii"),
            }
        )
    return stored


def queue_sms(
    *,
    to,
    idempotency_key,
    body=None,
    template=None,
    context=None,
    category=Category.TRANSACTIONAL,
    send_at=None,
    related=None,
    language=None,
    over_budget=OverBudget.DEFER,
) -> OutboundMessage:
    """Queue one SMS; the same `idempotency_key` returns the existing row untouched.

    A `template` is rendered now, in `language` (the recipient's) or the active one.
    """
    _validate_key(idempotency_key)
    existing = OutboundMessage.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    if not (template or body):
        raise ValidationError(_("Indique una plantilla o el texto del SMS."))
    to = normalize_phone(to)
    if template:
        body = render_sms(template=template, context=context or {}, language=language)
    fields = _common_fields(
        channel=Channel.SMS,
        to=to,
        category=category,
        over_budget=over_budget,
        send_at=send_at,
        related=related,
        context=context,
        template=template,
        language=language,
    )
    fields["text_body"] = body
    return _queue(idempotency_key=idempotency_key, fields=fields)


def _queue(*, idempotency_key, fields):
    message, created = _create_once(idempotency_key=idempotency_key, fields=fields)
    if created and message.dispatched_at is not None:
        _enqueue_on_commit(message.pk, message.category)
    return message


def _by_key_or_instance(message, idempotency_key):
    if message is not None:
        return message
    return OutboundMessage.objects.filter(idempotency_key=idempotency_key).first()


def cancel_message(*, message=None, idempotency_key=None, user=None) -> bool:
    """Cancel a message still waiting in the outbox (by row or by the caller's key).

    Returns False if it is already being sent, sent, or unknown.
    """
    message = _by_key_or_instance(message, idempotency_key)
    if message is None:
        return False
    canceled = OutboundMessage.objects.filter(pk=message.pk, status__in=PENDING).update(
        status=Status.CANCELED, updated_at=timezone.now()
    )
    if canceled:
        message.status = Status.CANCELED
        log_action(message, "messaging.message.canceled", user=user)
    return bool(canceled)


def reschedule_message(*, message, send_at, user=None) -> bool:
    """Move a waiting message to `send_at`. Returns False if it already left."""
    now = timezone.now()
    due = send_at <= now
    updated = OutboundMessage.objects.filter(pk=message.pk, status__in=PENDING).update(
        send_at=send_at,
        next_attempt_at=max(send_at, now),
        dispatched_at=now if due else None,
        updated_at=now,
    )
    if updated:
        log_action(
            message,
            "messaging.message.rescheduled",
            user=user,
            data={"send_at": send_at.isoformat()},
        )
        if due:
            _enqueue_on_commit(message.pk, message.category)
    return bool(updated)


def retry_message(*, message, user=None) -> bool:
    """Put a failed, interrupted, canceled or suppressed message back in the queue.

    For an interrupted row this is staff's decision that it was not sent; the audit
    entry records who decided.
    """
    now = timezone.now()
    updated = OutboundMessage.objects.filter(pk=message.pk, status__in=RETRYABLE).update(
        status=Status.QUEUED,
        attempts=0,
        next_attempt_at=now,
        dispatched_at=now,
        claimed_at=None,
        updated_at=now,
    )
    if updated:
        log_action(
            message,
            "messaging.message.retried",
            user=user,
            data={"previous_status": message.status, "last_error": message.last_error},
        )
        _enqueue_on_commit(message.pk, message.category)
    return bool(updated)


def claim_message(*, message_id):
    """Take a due, pending row for sending; None if another worker has it or it left."""
    now = timezone.now()
    # One conditional UPDATE is its own short transaction: of two workers racing for
    # the row, exactly one sees a count of 1.
    claimed = OutboundMessage.objects.filter(
        pk=message_id, status__in=PENDING, next_attempt_at__lte=now
    ).update(
        status=Status.SENDING,
        claimed_at=now,
        held_by=liveness.me(),
        provider_called_at=None,
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    if not claimed:
        return None
    return OutboundMessage.objects.defer("context").get(pk=message_id)


def _finish(message, **fields):
    """Record an outcome, unless the row moved on (a provider event got there first)."""
    fields["updated_at"] = timezone.now()
    return OutboundMessage.objects.filter(
        pk=message.pk, status__in=(Status.SENDING, Status.INTERRUPTED)
    ).update(**fields)


def _calling_provider(message):
    """Stamp that the provider is being called: a worker dying from now on may have sent
    it, so the message waits for staff instead of going out again (as late as possible,
    once the email is built: a death before it is a plain resend)."""
    OutboundMessage.objects.filter(pk=message.pk, status=Status.SENDING).update(
        provider_called_at=timezone.now()
    )


def _send(message):
    if message.channel == Channel.EMAIL:
        return send_email(
            on_call=lambda: _calling_provider(message),
            to=message.recipient,
            subject=message.subject,
            text=message.text_body,
            html=message.html_body,
            headers=message.headers,
            outbound_id=message.pk,
            attachments=message.attachments,
            from_email=message.from_email,
        )
    backend = get_sms_backend()
    _calling_provider(message)
    return backend.send(to=message.recipient, body=message.text_body)


def deliver_message(*, message_id, max_attempts, retry_delay) -> Delivery | None:
    """Send one outbox row if it is due and still pending; None if there was nothing to do.

    `retry_delay(attempts) -> timedelta` and `max_attempts` are the caller's (the
    task's) retry policy for transient errors.
    """
    message = claim_message(message_id=message_id)
    if message is None:
        return None
    if is_suppressed(channel=message.channel, address=message.recipient, category=message.category):
        _finish(
            message, status=Status.SUPPRESSED, last_error=_("Dirección en la lista de supresión.")
        )
        return Delivery(Status.SUPPRESSED)
    # Checked at the last moment: a message may wait hours (quiet hours, budgets, retries).
    stale = send_refusal(message)
    if stale:
        _finish(message, status=Status.DROPPED, last_error=stale)
        return Delivery(Status.DROPPED)
    verdict = apply_policy(message)
    if verdict.action == DROP:
        _finish(message, status=Status.DROPPED, last_error=verdict.reason)
        return Delivery(Status.DROPPED)
    if verdict.action == DEFER:
        _defer(message, until=verdict.until, reason=verdict.reason)
        return Delivery(Status.QUEUED)
    try:
        result = _send(message)  # outside any transaction: network I/O
    except SendError as exc:
        return _record_failure(message, exc, max_attempts=max_attempts, retry_delay=retry_delay)
    except Exception as exc:
        # Unknown failure: we cannot tell whether it went out, so it is not retried
        # automatically; staff see the error and decide.
        logger.exception("messaging.send.crashed", extra={"message_id": message.pk})
        _finish(message, status=Status.FAILED, last_error=f"{type(exc).__name__}: {exc}")
        return Delivery(Status.FAILED)
    _finish(
        message,
        status=Status.SENT,
        sent_at=timezone.now(),
        provider=result.provider,
        provider_message_id=result.provider_message_id,
        last_error="",
    )
    return Delivery(Status.SENT)


def _defer(message, *, until, reason):
    """Back to the queue until `until`; not an attempt, so it does not use up retries."""
    _finish(
        message,
        status=Status.QUEUED,
        attempts=F("attempts") - 1,
        claimed_at=None,
        next_attempt_at=until,
        dispatched_at=None,  # the sweeper hands it to a worker when due
        policy_note=reason[:300],
    )


def _record_failure(message, exc, *, max_attempts, retry_delay):
    error = str(exc)[:2000]
    if exc.suppress_reason:
        suppress(
            channel=message.channel,
            address=message.recipient,
            reason=exc.suppress_reason,
            source=f"provider refusal on message {message.pk}",
        )
        # It did not reach the person: it does not use up their budget either.
        _finish(message, status=Status.SUPPRESSED, last_error=error, budget_at=None)
        return Delivery(Status.SUPPRESSED)
    if exc.permanent or message.attempts >= max_attempts:
        _finish(message, status=Status.FAILED, last_error=error, budget_at=None)
        logger.warning("messaging.send.failed", extra={"message_id": message.pk, "error": error})
        return Delivery(Status.FAILED)
    next_attempt = timezone.now() + retry_delay(message.attempts)
    _finish(
        message,
        status=Status.AWAITING_RETRY,
        next_attempt_at=next_attempt,
        # The task schedules its own retry for then; the sweeper steps in after the lease.
        dispatched_at=next_attempt,
        last_error=error,
    )
    return Delivery(Status.AWAITING_RETRY, retry_at=next_attempt, category=message.category)


def dispatch_due_messages(*, now=None, batch_size=SWEEP_BATCH, max_batches=SWEEP_MAX_BATCHES):
    """Hand due rows to workers, in bounded batches. Returns how many were dispatched.

    Safe to run twice at once: each batch is locked with SKIP LOCKED and stamped with
    `dispatched_at`, and the send task claims rows itself anyway.
    """
    now = now or timezone.now()
    lease_expired = (
        Q(dispatched_at__isnull=True)
        | Q(dispatched_at__lte=now - DISPATCH_LEASE)
        | Q(category__in=URGENT_CATEGORIES, dispatched_at__lte=now - URGENT_DISPATCH_LEASE)
    )
    total = 0
    for _batch in range(max_batches):
        with transaction.atomic():
            rows = list(
                OutboundMessage.objects.select_for_update(skip_locked=True)
                .filter(status__in=PENDING, next_attempt_at__lte=now)
                .filter(lease_expired)
                .order_by("next_attempt_at")
                .values_list("pk", "category")[:batch_size]
            )
            if not rows:
                break
            ids = [message_id for message_id, _category in rows]
            OutboundMessage.objects.filter(pk__in=ids).update(dispatched_at=now)
            for message_id, category in rows:
                _enqueue_on_commit(message_id, category)
        total += len(ids)
    return total


def interrupt_stuck_messages(*, now=None):
    """Take over rows left `sending` by a worker that is gone (courseops.core.liveness).

    A row whose holder died before calling the provider was not sent: it goes back to the
    queue at once (and is dispatched by the same sweep). One whose holder died during or
    after the call may or may not have gone out: never resent blindly, it is shown to
    staff as interrupted. Rows of no known holder (or a holder hung for longer than any
    send takes) are interrupted after `STUCK_AFTER`, as before. Returns how many rows
    were taken over or interrupted.
    """
    now = now or timezone.now()
    sending = OutboundMessage.objects.filter(status=Status.SENDING)
    abandoned = liveness.held_by_gone(sending, now=now)
    requeued = abandoned.filter(provider_called_at__isnull=True).update(
        status=Status.QUEUED,
        attempts=F("attempts") - 1,  # it never reached the provider: not an attempt
        held_by="",
        claimed_at=None,
        next_attempt_at=now,
        dispatched_at=None,
        last_error=_("El worker se detuvo antes de llamar al proveedor: se envía de nuevo."),
        updated_at=now,
    )
    interrupted = abandoned.filter(provider_called_at__isnull=False).update(
        status=Status.INTERRUPTED,
        last_error=_(
            "El worker se detuvo durante la llamada al proveedor: puede haberse enviado. "
            "Revise antes de reenviar."
        ),
        updated_at=now,
    )
    interrupted += sending.filter(claimed_at__lte=now - STUCK_AFTER).update(
        status=Status.INTERRUPTED,
        last_error=_(
            "Interrumpido durante el envío: puede haberse enviado. Revise antes de reenviar."
        ),
        updated_at=now,
    )
    if requeued or interrupted:
        logger.warning(
            "messaging.sweep.taken_over",
            extra={"requeued": requeued, "interrupted": interrupted},
        )
    return requeued + interrupted
