"""Sending deliveries: claim, sign, POST, record; retry with backoff for up to 3 days;
disable an endpoint failing for a day; take over what a dead worker held; replay.

A delivery is claimed with a conditional UPDATE that records its holder (core.liveness),
so a redelivered task, the sweeper and a staff replay never send it at the same time. The
request goes out outside any transaction. A worker killed mid-request leaves the row
`sending` with a dead holder: the sweeper takes it over at once and sends it again with
the same `webhook-id`, which is how receivers recognise a repeat (Standard Webhooks).
"""

import json
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from courseops.audit.services import log_action
from courseops.core import http, liveness
from courseops.core.logging import get_logger
from courseops.outbound.models import Delivery, DeliveryAttempt, Endpoint
from courseops.outbound.services.endpoints import endpoint_disable
from courseops.outbound.services.signing import signed_headers

logger = get_logger(__name__)
Status = Delivery.Status

# Waits after each failed attempt (Standard Webhooks' suggested schedule, stretched):
# the last one repeats until RETRY_WINDOW from the event runs out.
RETRY_SCHEDULE = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
)
RETRY_WINDOW = timedelta(days=3)
# An endpoint failing without a single success for this long is disabled.
DISABLE_AFTER = timedelta(days=1)
# A claim whose holder is alive but silent is taken back after this long (far beyond a
# request's timeout); a dead holder's claim is taken over at the next sweep.
SENDING_LEASE = timedelta(minutes=5)
# A fresh row's own on-commit task gets this long before the sweeper sends another.
PENDING_GRACE = timedelta(seconds=60)
# Once the sweeper enqueued a row it waits this long before enqueuing it again.
RESWEEP_AFTER = timedelta(minutes=5)
SWEEP_BATCH = 500
MAX_RESPONSE_BYTES = 64 * 1024
EXCERPT = 500
USER_AGENT = "CourseOps-Webhooks/1"


def retry_delay(attempts: int) -> timedelta:
    return RETRY_SCHEDULE[min(attempts, len(RETRY_SCHEDULE)) - 1]


def body_of(event) -> bytes:
    return json.dumps(event.payload, ensure_ascii=False, separators=(",", ":")).encode()


def _claim(delivery_pk, now):
    return Delivery.objects.filter(
        pk=delivery_pk, status__in=[Status.PENDING, Status.RETRYING]
    ).update(
        status=Status.SENDING,
        claimed_at=now,
        held_by=liveness.me(),
        next_attempt_at=now + SENDING_LEASE,
        attempts=F("attempts") + 1,
    )


def _finish(delivery, **fields):
    """Record the outcome, unless the row was taken back meanwhile (lease ran out)."""
    return Delivery.objects.filter(
        pk=delivery.pk, status=Status.SENDING, claimed_at=delivery.claimed_at
    ).update(held_by="", **fields)


def _post(endpoint, event):
    """(status code or None, error text, response excerpt, milliseconds)."""
    body = body_of(event)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        **signed_headers(endpoint=endpoint, event_id=event.event_id, body=body),
    }
    started = time.monotonic()
    try:
        response = http.request(
            "POST",
            endpoint.url,
            content=body,
            headers=headers,
            timeout=settings.OUTBOUND_WEBHOOKS_TIMEOUT,
            user_url=True,
            max_bytes=MAX_RESPONSE_BYTES,
        )
    except http.HTTPError as exc:
        return None, str(exc), "", _elapsed(started)
    excerpt = response.text[:EXCERPT]
    error = "" if response.is_success else f"HTTP {response.status_code}"
    return response.status_code, error, excerpt, _elapsed(started)


def _elapsed(started):
    return round((time.monotonic() - started) * 1000)


def delivery_send(*, delivery_pk: int) -> str | None:
    """Send one delivery once; returns its new status, or None if it was not ours."""
    now = timezone.now()
    if not _claim(delivery_pk, now):
        return None
    delivery = Delivery.objects.select_related("event", "endpoint").get(pk=delivery_pk)
    endpoint, event = delivery.endpoint, delivery.event
    if not endpoint.is_active:
        reason = endpoint.disabled_reason or gettext("El destino está desactivado.")
        _finish(delivery, status=Status.FAILED, next_attempt_at=None, last_error=reason)
        return Status.FAILED
    status_code, error, excerpt, elapsed = _post(endpoint, event)
    DeliveryAttempt.objects.create(
        delivery=delivery,
        started_at=now,
        status_code=status_code,
        response_ms=elapsed,
        error=error[:2000],
        response_excerpt=excerpt,
    )
    done = timezone.now()
    if not error:
        _finish(
            delivery,
            status=Status.DELIVERED,
            delivered_at=done,
            next_attempt_at=None,
            last_status_code=status_code,
            last_error="",
        )
        Endpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=False).update(
            failing_since=None
        )
        return Status.DELIVERED
    return _failed(delivery, endpoint, status_code=status_code, error=error, now=done)


def _failed(delivery, endpoint, *, status_code, error, now):
    log = logger.bind(delivery=delivery.pk, endpoint=endpoint.pk, attempt=delivery.attempts)
    if status_code == 410:
        # REST Hooks: 410 Gone means "unsubscribe me".
        reason = gettext("El destino respondió 410 (ya no existe): desactivado.")
        _finish(
            delivery,
            status=Status.FAILED,
            next_attempt_at=None,
            last_status_code=410,
            last_error=reason,
        )
        endpoint_disable(endpoint=endpoint, reason=reason, now=now)
        log.warning("outbound.endpoint.gone")
        return Status.FAILED
    Endpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(failing_since=now)
    next_at = now + retry_delay(delivery.attempts)
    if next_at > delivery.created_at + RETRY_WINDOW:
        message = gettext("Falló tras %(n)d intentos en 3 días. ") % {"n": delivery.attempts}
        _finish(
            delivery,
            status=Status.FAILED,
            next_attempt_at=None,
            last_status_code=status_code,
            last_error=message + error,
        )
        status = Status.FAILED
    else:
        _finish(
            delivery,
            status=Status.RETRYING,
            next_attempt_at=next_at,
            last_status_code=status_code,
            last_error=error,
        )
        status = Status.RETRYING
    log.warning("outbound.delivery.failed", error=error, status=status)
    failing_since = Endpoint.objects.values_list("failing_since", flat=True).get(pk=endpoint.pk)
    if failing_since and failing_since <= now - DISABLE_AFTER:
        endpoint_disable(
            endpoint=endpoint,
            reason=gettext("Falla desde hace más de un día sin una sola entrega: desactivado."),
            now=now,
        )
    return status


def _enqueue(delivery_pk):
    from courseops.outbound.tasks import send_delivery

    send_delivery.delay(delivery_pk)


def deliveries_sweep(*, batch: int = SWEEP_BATCH) -> int:
    """Take over deliveries whose holder is gone (at once) or whose lease ran out, and
    enqueue every due one; safe to run twice. Returns how many were enqueued."""
    now = timezone.now()
    sending = Delivery.objects.filter(status=Status.SENDING)
    abandoned = liveness.held_by_gone(sending, now=now)
    stale = sending.filter(Q(next_attempt_at__lte=now) | Q(pk__in=abandoned.values("pk")))
    taken = stale.update(
        status=Status.RETRYING,
        next_attempt_at=now,
        held_by="",
        takeovers=F("takeovers") + 1,
        last_error=gettext(
            "El worker se detuvo mientras enviaba: se reenvía con el mismo webhook-id."
        ),
    )
    due = Delivery.objects.filter(
        Q(status=Status.PENDING, next_attempt_at__lte=now - PENDING_GRACE)
        | Q(status=Status.RETRYING, next_attempt_at__lte=now)
    )
    enqueued = 0
    for pk in list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:batch]):
        # Due time pushed forward first: a lost task brings the row back in RESWEEP_AFTER,
        # and of two racing sweepers only one enqueues it.
        if due.filter(pk=pk).update(next_attempt_at=now + RESWEEP_AFTER):
            _enqueue(pk)
            enqueued += 1
    if taken or enqueued:
        logger.info("outbound.swept", taken_over=taken, enqueued=enqueued)
    return enqueued


def deliveries_replay(*, delivery_pks, user) -> tuple[int, int]:
    """Staff send deliveries again (same `webhook-id`); returns (queued, skipped). One
    being sent right now, to a disabled endpoint, or about an erased person is skipped."""
    queued = skipped = 0
    now = timezone.now()
    deliveries = Delivery.objects.filter(pk__in=delivery_pks).select_related("event")
    for delivery in deliveries.only("pk", "status", "event__payload"):
        if not delivery.event.payload:  # its person was erased
            skipped += 1
            continue
        with transaction.atomic():
            updated = (
                Delivery.objects.filter(pk=delivery.pk, endpoint__is_active=True)
                .exclude(status__in=[Status.SENDING, Status.DROPPED])
                .update(status=Status.PENDING, next_attempt_at=now, last_error="")
            )
            if not updated:
                skipped += 1
                continue
            log_action(
                delivery,
                "outbound.delivery.replayed",
                user=user,
                data={"previous_status": delivery.status},
            )
            transaction.on_commit(lambda pk=delivery.pk: _enqueue(pk), robust=True)
        queued += 1
    return queued, skipped
