"""Queueing outbox rows and handing them to workers.

Queue functions run in the caller's transaction and enqueue the send task on commit;
the sweeper dispatches due rows in batches and takes over rows whose worker died.
Sending itself (claim, checks, provider call, outcome) is `services.sending`: each row is
claimed by exactly one worker, so a re-run or duplicated task never sends twice.
"""

import base64
import json
import logging
from collections import defaultdict
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Subquery, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from courseops.audit.services import log_action
from courseops.core import liveness
from courseops.core.routing import outbox_send_options
from courseops.messaging.hooks import (
    Person,
    address_key,
    find_person,
    message_released,
    messages_withheld,
)
from courseops.messaging.models import (
    PENDING,
    RETRYABLE,
    Category,
    Channel,
    OutboundMessage,
    OverBudget,
    ProviderCall,
    Status,
)
from courseops.messaging.services.addresses import (
    normalize_email,
    normalize_phone,
    normalize_sender,
)
from courseops.messaging.services.rendering import inline_css, render_email, render_sms
from courseops.messaging.services.sending import CURRENT_INCARNATION, SEND_BATCH
from courseops.messaging.services.suppression import OPT_OUT_CATEGORIES, unsubscribe_url

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
    *,
    channel,
    to,
    category,
    over_budget,
    send_at,
    related,
    context,
    template,
    language,
    automation,
    expires_at=None,
):
    if category not in Category.values:
        raise ValidationError(_("Categoría desconocida: %(c)s"), params={"c": category})
    if over_budget not in OverBudget.values:
        raise ValidationError(
            _("Valor desconocido de over_budget: %(v)s"), params={"v": over_budget}
        )
    now = timezone.now()
    # Transactional messages meet no policy: no need to know whose address it is, unless
    # an automation sent it (its rollout arm is the person's, on every channel).
    person = (
        find_person(channel=channel, address=to)
        if category != Category.TRANSACTIONAL or automation
        else Person(key=address_key(channel, to))
    )
    fields = {
        "channel": channel,
        "recipient": to,
        "person_key": person.key[:260],
        "time_zone": person.time_zone[:64],
        "over_budget": over_budget,
        "category": category,
        "automation": automation or "",
        "template": template or "",
        "context": _jsonable(context),
        "language": language or "",
        "send_at": send_at,
        "expires_at": expires_at,
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
    automation="",
    expires_at=None,
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
    `automation` names the automation sending it (courseops.reviews.automations): its
    rollout decides at send time whether it leaves, waits for staff or is kept in shadow.
    `expires_at`: past it the message is useless (a reminder once its webinar started)
    and is dropped with that reason, never sent late (however long it waited).
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
        automation=automation,
        expires_at=expires_at,
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
    automation="",
    expires_at=None,
) -> OutboundMessage:
    """Queue one SMS; the same `idempotency_key` returns the existing row untouched.

    A `template` is rendered now, in `language` (the recipient's) or the active one.
    `automation` and `expires_at` as for `queue_email`.
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
        automation=automation,
        expires_at=expires_at,
    )
    fields["text_body"] = body
    return _queue(idempotency_key=idempotency_key, fields=fields)


def queue_push(
    *,
    to,
    idempotency_key,
    title,
    body,
    url="",
    category=Category.TRANSACTIONAL,
    send_at=None,
    expires_at=None,
    urgency="normal",
    related=None,
    language=None,
    over_budget=OverBudget.DEFER,
    automation="",
) -> OutboundMessage | None:
    """Queue one push notice to the browsers the person with email `to` subscribed; None
    (nothing queued) when push is off or they subscribed none. The same
    `idempotency_key` returns the existing row untouched.

    `url` is the page the notice opens; `expires_at` tells the push service to drop it if
    the browser is not reachable before then (a reminder after the webinar is noise).
    `automation` as for `queue_email`: a push of an automation in shadow is held too.
    """
    from courseops.messaging.models import PushSubscription
    from courseops.messaging.providers.push import push_enabled

    _validate_key(idempotency_key)
    existing = OutboundMessage.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    to = normalize_email(to)
    if not push_enabled() or not PushSubscription.objects.filter(address=to).exists():
        return None
    fields = _common_fields(
        channel=Channel.PUSH,
        to=to,
        category=category,
        over_budget=over_budget,
        send_at=send_at,
        related=related,
        context=None,
        template="",
        language=language,
        automation=automation,
        expires_at=expires_at,
    )
    # Its TTL is counted at send time from `expires_at`: a push deferred or retried gets
    # only what is left of its window.
    options = {"url": url, "urgency": urgency}
    fields.update(
        subject=" ".join(str(title).split())[:255],
        text_body=str(body),
        headers=options,
    )
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


def release_message(*, message, user=None, subject=None, text=None, html=None) -> bool:
    """Send a message its rollout held for review (staff approved it), with staff's edits
    when given. Returns False if it is no longer held."""
    now = timezone.now()
    edits = {
        name: value
        for name, value in (("subject", subject), ("text_body", text), ("html_body", html))
        if value is not None
    }
    if "subject" in edits:
        edits["subject"] = " ".join(edits["subject"].split())[:255]
    updated = OutboundMessage.objects.filter(pk=message.pk, status=Status.HELD).update(
        status=Status.QUEUED,
        next_attempt_at=now,
        dispatched_at=now,
        claimed_at=None,
        last_error="",
        updated_at=now,
        **edits,
    )
    if updated:
        log_action(message, "messaging.message.released", user=user, data={"edited": sorted(edits)})
        _enqueue_on_commit(message.pk, message.category)
        message_released.send(sender=OutboundMessage, message=message)
    return bool(updated)


def close_held_message(*, message, status, reason, user=None) -> bool:
    """End a message held for review without sending it: `canceled` (staff rejected it) or
    `dropped` (it stopped being true, or its moment passed, while it waited). Returns
    False if it is no longer held."""
    if status not in (Status.CANCELED, Status.DROPPED):
        raise ValueError(f"A held message cannot become {status!r}.")
    updated = OutboundMessage.objects.filter(pk=message.pk, status=Status.HELD).update(
        status=status, last_error=str(reason)[:2000], updated_at=timezone.now()
    )
    if updated:
        log_action(message, f"messaging.message.{status}", user=user, data={"reason": str(reason)})
        # The app that queued it learns it will never leave (a reminder, a nudge).
        messages_withheld.send(sender=OutboundMessage, withheld={message.pk: status})
    return bool(updated)


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
    by_kind = defaultdict(list)
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
                by_kind[category].append(message_id)
            _enqueue_batches_on_commit(by_kind)
        total += len(ids)
    return total


def _enqueue_batches_on_commit(by_kind):
    """One send task per `SEND_BATCH` rows of a kind (its queue and priority), emptying
    `by_kind`; a worker claims and sends a batch at once (services.sending)."""
    from courseops.messaging.tasks import send_messages

    for category, ids in by_kind.items():
        options = outbox_send_options(category)
        for start in range(0, len(ids), SEND_BATCH):
            chunk = ids[start : start + SEND_BATCH]
            transaction.on_commit(
                lambda chunk=chunk, options=options: send_messages.apply_async(
                    args=[chunk], **options
                )
            )
    by_kind.clear()


def requeued_fields(*, now, reason):
    """A row that never reached its provider, back in the queue: due now (the same sweep
    dispatches it), and its lost claim not counted as an attempt."""
    return {
        "status": Status.QUEUED,
        "attempts": F("attempts") - 1,
        "held_by": "",
        "claimed_at": None,
        "next_attempt_at": now,
        "dispatched_at": None,
        "provider_check_at": None,
        "last_error": reason,
        "updated_at": now,
    }


def interrupt_stuck_messages(*, now=None):
    """Take over rows left `sending` by a worker that is gone (courseops.core.liveness).

    A row whose holder died before calling the provider was not sent: it goes back to the
    queue at once (and is dispatched by the same sweep). One whose holder died during or
    after the call may or may not have gone out: never resent blindly, it is shown to
    staff as interrupted. On PostgreSQL "before the call" is only trusted for a row claimed
    in the database's current incarnation: the stamp is committed asynchronously, and a
    crash of PostgreSQL since the claim may have lost it (services.sending), so such a
    row, or one whose incarnation is unknown, goes to staff too. Rows of no known holder
    (or a holder hung for longer than any send takes) are interrupted after
    `STUCK_AFTER`, as before. Returns how many rows were taken over or interrupted.
    """
    now = now or timezone.now()
    sending = OutboundMessage.objects.filter(status=Status.SENDING)
    abandoned = liveness.held_by_gone(sending, now=now)
    stamp = ProviderCall.objects.filter(message=OuterRef("pk"))
    # A claim empties `provider_called_at`; a sending row with it set was stamped there by
    # a worker of the version before `ProviderCall` (one still running during a deploy).
    called = Exists(stamp) | Q(provider_called_at__isnull=False)
    called_at = Coalesce(Subquery(stamp.values("called_at")), F("provider_called_at"))
    if connection.vendor == "postgresql":
        # Equal to the marker's time: a NULL on either side (unknown, or no marker since a
        # crash) is not equal, so such rows are not resent.
        current = RawSQL(CURRENT_INCARNATION, ())  # noqa: S611 (a constant, no input)
        this_incarnation = Q(claimed_incarnation=current)
    else:  # SQLite's stamps are synchronous: every claim is of "this incarnation"
        this_incarnation = Q()
    # Rows stamped (they called their provider) are asked about at once: the provider may
    # say whether it took them (services.reconciliation). Rows without a stamp cannot be
    # matched to a call: staff decide.
    with transaction.atomic():
        requeued = (
            abandoned.exclude(called)
            .filter(this_incarnation)
            .update(
                **requeued_fields(
                    now=now,
                    reason=_(
                        "El worker se detuvo antes de llamar al proveedor: se envía de nuevo."
                    ),
                )
            )
        )
        interrupted = abandoned.filter(called).update(
            status=Status.INTERRUPTED,
            provider_called_at=called_at,
            provider_check_at=now,
            last_error=_(
                "El worker se detuvo durante la llamada al proveedor: puede haberse enviado. "
                "Revise antes de reenviar."
            ),
            updated_at=now,
        )
        # What is left of the abandoned rows has no stamp but was claimed before the
        # database's last crash recovery (or at an unknown moment): its stamp may be lost.
        interrupted += abandoned.filter(claimed_incarnation__isnull=False).update(
            status=Status.INTERRUPTED,
            provider_check_at=None,
            last_error=_(
                "PostgreSQL se reinició tras una caída (o cambió de servidor) durante el "
                "envío y el worker se detuvo: puede haberse enviado. Revise antes de reenviar."
            ),
            updated_at=now,
        )
        interrupted += abandoned.update(
            status=Status.INTERRUPTED,
            provider_check_at=None,
            last_error=_(
                "El worker se detuvo durante el envío y no consta en qué arranque de "
                "PostgreSQL lo reclamó (una versión anterior, o justo tras una caída): puede "
                "haberse enviado. Revise antes de reenviar."
            ),
            updated_at=now,
        )
        interrupted += sending.filter(claimed_at__lte=now - STUCK_AFTER).update(
            status=Status.INTERRUPTED,
            provider_called_at=called_at,
            provider_check_at=Case(When(called, then=Value(now)), default=None),
            last_error=_(
                "Interrumpido durante el envío: puede haberse enviado. Revise antes de reenviar."
            ),
            updated_at=now,
        )
        # The stamps of rows no longer sending (those just interrupted; any other left
        # behind) stood for nothing now, and a stale one would hold a later attempt
        # whose worker died before its call for staff instead of resending it.
        ProviderCall.objects.exclude(message__status=Status.SENDING).delete()
    if requeued or interrupted:
        logger.warning(
            "messaging.sweep.taken_over",
            extra={"requeued": requeued, "interrupted": interrupted},
        )
    return requeued + interrupted
