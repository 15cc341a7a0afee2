"""The inbox's operations: receive, process, sweep and re-run webhook events.

Every step claims its row with a conditional UPDATE, so a redelivered task, the sweeper
and a staff re-run never run one handler twice at the same time, and handlers run outside
any transaction (they may call vendors).
"""

import functools
import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from courseops.audit.services import log_action
from courseops.core import liveness
from courseops.core.logging import get_logger
from courseops.webhooks.errors import PermanentWebhookError
from courseops.webhooks.models import WebhookEvent
from courseops.webhooks.providers.base import InboundEvent
from courseops.webhooks.registry import get_handler

logger = get_logger(__name__)
_stdlib_logger = logging.getLogger(__name__)
Status = WebhookEvent.Status

MAX_ATTEMPTS = 6
RETRY_BASE_DELAY = timedelta(seconds=30)
RETRY_MAX_DELAY = timedelta(hours=1)
# A claimed row whose worker vanished is taken back after this long; longer than the
# task's hard time limit so a slow handler that is still running is never run twice.
PROCESSING_LEASE = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) + timedelta(minutes=5)
# A fresh row's own on-commit task gets this long before the sweeper sends another.
RECEIVED_GRACE = timedelta(seconds=60)
# Once the sweeper has enqueued a row it waits this long before enqueuing it again,
# so a long queue does not fill up with copies of the same event.
RESWEEP_AFTER = timedelta(minutes=5)
SWEEP_BATCH = 500
# Set while a dispatch task is on its way: every event received meanwhile rides on it.
DISPATCH_PENDING = "webhooks:dispatch-pending"
# If that task is lost, the flag lapses and the next delivery (or the sweeper) asks again.
DISPATCH_PENDING_TTL = 30
MAX_ERROR_LENGTH = 4000


def retry_delay(attempts: int) -> timedelta:
    """30 s, 2 min, 8 min, 32 min, then hourly: about 1 h 45 min over six attempts."""
    return min(RETRY_BASE_DELAY * 4 ** (attempts - 1), RETRY_MAX_DELAY)


def _enqueue(event_pk):
    from courseops.webhooks.tasks import process_webhook_event

    process_webhook_event.delay(event_pk)


def _enqueue_on_commit(event_pk):
    """After commit; a broker outage is logged, not raised: the sweeper resends the row."""

    def enqueue_webhook_event():
        _enqueue(event_pk)

    transaction.on_commit(enqueue_webhook_event, robust=True)


def _request_dispatch():
    """Ask for one dispatch task, unless one is already on its way.

    Publishing a Celery message costs more CPU than the rest of the webhook request put
    together (bench/README.md), so a burst of deliveries shares one message; the dispatch
    task then fans the events out to workers.
    """
    # On Redis, `add` is one `SET NX EX` of an un-pickled int, through one client per
    # process (courseops.core.cache: Django's backend built a new client for every call).
    if cache.add(DISPATCH_PENDING, 1, timeout=DISPATCH_PENDING_TTL):
        from courseops.webhooks.tasks import dispatch_webhook_events

        dispatch_webhook_events.delay()


_STORED = ("event_type", "status", "body", "payload", "headers", "received_at", "next_attempt_at")


@functools.cache
def _insert_sql(vendor):
    """The statement for one database vendor, built once per process."""
    meta = WebhookEvent._meta
    quote = connection.ops.quote_name
    names = ["provider", "event_id", *_STORED, "held_by", "attempts", "last_error"]
    columns = [quote(meta.get_field(name).column) for name in names]
    marks = ", ".join(["%s"] * len(names))
    # The conflict target is the unique (provider, event_id) pair, the first two columns.
    return (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(columns)}) VALUES ({marks}) "  # noqa: S608
        f"ON CONFLICT ({columns[0]}, {columns[1]}) DO NOTHING RETURNING id"
    )


def _insert(event) -> bool:
    """Insert a new row in one statement; False (and nothing written) for a duplicate.

    Written out rather than `save()`: compiling the INSERT cost the ack a measurable share
    of its time (bench/README.md, webhook inbox), and `ON CONFLICT DO NOTHING` answers a
    duplicate without an error to catch or a savepoint to roll back to. In a webhook
    request (no transaction open) it autocommits: the row is durable when it returns."""
    fields = [WebhookEvent._meta.get_field(name) for name in ("provider", "event_id", *_STORED)]
    params = [field.get_db_prep_save(getattr(event, field.attname), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(connection.vendor), [*params, "", 0, ""])
        row = cursor.fetchone()
    if row is None:
        return False
    event.pk = row[0]
    event._state.adding = False
    return True


def event_receive(
    *, provider: str, inbound: InboundEvent, headers: dict
) -> tuple[WebhookEvent, bool]:
    """Store a verified delivery once; returns (event, created).

    A repeated delivery (same provider and event id) returns the stored row untouched.
    The processing task is enqueued after commit; if the broker is down the request still
    succeeds and the sweeper picks the row up.
    """
    now = timezone.now()
    event = WebhookEvent(
        provider=provider,
        event_id=inbound.event_id,
        event_type=inbound.event_type,
        body=inbound.body,
        payload=inbound.payload,
        headers=headers,
        received_at=now,
        next_attempt_at=now,
    )
    if not _insert(event):
        existing = WebhookEvent.objects.only("pk", "provider", "event_id", "status").get(
            provider=provider, event_id=inbound.event_id
        )
        logger.info("webhook.duplicate", provider=provider, event_id=inbound.event_id)
        return existing, False
    # After commit; a broker outage is logged, not raised: the sweeper picks the row up.
    transaction.on_commit(_request_dispatch, robust=True)
    # Debug only: the row is the record of every delivery, and a line per request at INFO
    # cost the ack path a measurable share of its time (bench/README.md, webhook inbox).
    # Asked first: structlog runs its processors before the level drops the line.
    if _stdlib_logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "webhook.received", provider=provider, event_id=event.event_id, type=event.event_type
        )
    return event, True


def _claim(event_pk, now):
    return WebhookEvent.objects.filter(
        pk=event_pk, status__in=[Status.RECEIVED, Status.RETRYING]
    ).update(
        status=Status.PROCESSING,
        claimed_at=now,
        held_by=liveness.me(),
        next_attempt_at=now + PROCESSING_LEASE,
        attempts=F("attempts") + 1,
    )


def _finish(event, **fields):
    """Record the outcome, unless the lease ran out and the row was taken back."""
    return WebhookEvent.objects.filter(
        pk=event.pk, status=Status.PROCESSING, claimed_at=event.claimed_at
    ).update(**fields)


def _describe(exc):
    return f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]


def event_process(*, event_pk: int) -> str | None:
    """Run the registered handler once; returns the new status, or None if not claimed."""
    now = timezone.now()
    if not _claim(event_pk, now):
        return None
    event = WebhookEvent.objects.get(pk=event_pk)
    handler = get_handler(event.provider, event.event_type)
    if handler is None:
        _finish(event, status=Status.IGNORED, processed_at=now, next_attempt_at=None)
        return Status.IGNORED
    log = logger.bind(provider=event.provider, event_id=event.event_id, attempt=event.attempts)
    try:
        handler(event)
    except PermanentWebhookError as exc:
        log.warning("webhook.failed", error=str(exc))
        _finish(event, status=Status.FAILED, next_attempt_at=None, last_error=_describe(exc))
        return Status.FAILED
    except Exception as exc:
        # Anything else may be transient: retry with backoff, up to MAX_ATTEMPTS.
        error = _describe(exc)
        if event.attempts >= MAX_ATTEMPTS:
            log.exception("webhook.failed")
            message = gettext("Falló tras %(n)d intentos. ") % {"n": event.attempts}
            _finish(event, status=Status.FAILED, next_attempt_at=None, last_error=message + error)
            return Status.FAILED
        log.warning("webhook.retrying", error=error, exc_info=True)
        _finish(
            event,
            status=Status.RETRYING,
            next_attempt_at=timezone.now() + retry_delay(event.attempts),
            last_error=error,
        )
        return Status.RETRYING
    _finish(
        event,
        status=Status.PROCESSED,
        processed_at=timezone.now(),
        next_attempt_at=None,
        last_error="",
    )
    return Status.PROCESSED


def _enqueue_due(due, *, now, batch):
    enqueued = 0
    for pk in list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:batch]):
        # Push the row's due time forward first: if this task is lost too, the row comes
        # back in RESWEEP_AFTER; if two sweepers race, only one enqueues it.
        if due.filter(pk=pk).update(next_attempt_at=now + RESWEEP_AFTER):
            _enqueue(pk)
            enqueued += 1
    return enqueued


def events_dispatch(*, batch: int = SWEEP_BATCH) -> int:
    """Enqueue the processing of every newly received event; returns how many."""
    # Cleared before the scan, so an event committed after it asks for another dispatch.
    cache.delete(DISPATCH_PENDING)
    now = timezone.now()
    fresh = WebhookEvent.objects.filter(status=Status.RECEIVED, next_attempt_at__lte=now)
    enqueued = _enqueue_due(fresh, now=now, batch=batch)
    if enqueued == batch:
        _request_dispatch()
    return enqueued


def events_sweep(*, batch: int = SWEEP_BATCH) -> int:
    """Re-enqueue what a lost task left behind; safe to run twice. Returns rows enqueued."""
    now = timezone.now()
    processing = WebhookEvent.objects.filter(status=Status.PROCESSING)
    # Its lease ran out, or its worker is gone (then at once, not after the lease).
    abandoned = liveness.held_by_gone(processing, now=now)
    stale = processing.filter(Q(next_attempt_at__lte=now) | Q(pk__in=abandoned.values("pk")))
    lost = gettext("El worker se detuvo mientras procesaba el evento.")
    stale.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=Status.FAILED, next_attempt_at=None, last_error=lost
    )
    stale.update(status=Status.RETRYING, next_attempt_at=now, last_error=lost)

    due = WebhookEvent.objects.filter(
        Q(status=Status.RECEIVED, next_attempt_at__lte=now - RECEIVED_GRACE)
        | Q(status=Status.RETRYING, next_attempt_at__lte=now)
    )
    enqueued = _enqueue_due(due, now=now, batch=batch)
    if enqueued:
        logger.info("webhook.swept", enqueued=enqueued)
    return enqueued


def events_rerun(*, event_pks, user) -> tuple[int, int]:
    """Staff run the handler again (after fixing its cause); returns (queued, skipped).

    An event being processed right now is skipped; attempts start again from zero.
    """
    queued = skipped = 0
    now = timezone.now()
    for event in WebhookEvent.objects.filter(pk__in=event_pks).only(
        "pk", "provider", "event_id", "status", "last_error"
    ):
        with transaction.atomic():
            updated = (
                WebhookEvent.objects.filter(pk=event.pk)
                .exclude(status=Status.PROCESSING)
                .update(status=Status.RECEIVED, attempts=0, next_attempt_at=now)
            )
            if not updated:
                skipped += 1
                continue
            log_action(
                event,
                "webhooks.event.rerun",
                user=user,
                data={"previous_status": event.status, "previous_error": event.last_error},
            )
            _enqueue_on_commit(event.pk)
        queued += 1
    return queued, skipped
