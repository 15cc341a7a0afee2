"""Lead, checkout and payment conversions sent server-side to Google Analytics 4 through
the Measurement Protocol (`POST /mp/collect`), with the one HTTP client.

Only for a contact with a granted analytics consent, and with the GA client id read from
the landing page's `_ga` cookie (without one, a random id: GA counts the conversion but
cannot join it to the visit). Each conversion is a row, unique on (event, reference), so a
repeated signal records it once. The sender claims the row before the call; the protocol
has no idempotency key, so a row whose worker died while sending is not sent again
(`uncertain`), except a purchase, which GA deduplicates by `transaction_id`. The
protocol answers 2xx even to a malformed event: `validate` asks the debug endpoint
(`/debug/mp/collect`) what it thinks of a row, for staff and tests.
"""

import re
import secrets
import time
from datetime import timedelta

import structlog
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from courseops.core import http
from courseops.core.liveness import claim, enqueue_due, free_gone, retry_delay
from marketing.analytics.models import Conversion
from marketing.models import Lead, Purpose
from marketing.services.consent import valid_consent

logger = structlog.get_logger(__name__)
State = Conversion.State
MAX_BACKOFF = timedelta(hours=6)
# "GA1.1.1234567890.1700000000" (the cookie) or "1234567890.1700000000" (the id itself).
CLIENT_ID = re.compile(r"^(?:GA\d+\.\d+\.)?(\d{1,20}\.\d{1,20})$")


def configured():
    return bool(settings.GA4_MEASUREMENT_ID and settings.GA4_API_SECRET)


def client_id_from(value):
    """The client id in a `_ga` cookie value (or an id given as such); "" if none."""
    match = CLIENT_ID.match((value or "").strip())
    return match.group(1) if match else ""


def has_consent(lead):
    return Lead.objects.filter(pk=lead.pk).filter(valid_consent(Purpose.ANALYTICS)).exists()


def record_conversion(*, lead, event, ref, params=None, at=None):
    """The conversion's row, or None (GA4 off, no lead, no consent, or recorded before)."""
    if not configured() or lead is None or not has_consent(lead):
        return None
    try:
        with transaction.atomic():
            conversion = Conversion.objects.create(
                lead=lead,
                event=event,
                ref=ref[:200],
                client_id=lead.ga_client_id or f"{secrets.randbelow(10**10)}.{int(time.time())}",
                params=params or {},
                occurred_at=at or timezone.now(),
                next_attempt_at=timezone.now(),
            )
    except IntegrityError:
        return None
    _enqueue_on_commit(conversion.pk)
    return conversion


def _enqueue_on_commit(pk):
    from marketing.tasks import send_ga4_conversion

    transaction.on_commit(lambda: send_ga4_conversion.delay(pk))


def payload(conversion):
    params = {**conversion.params, "engagement_time_msec": 1}
    if conversion.event == Conversion.Event.PURCHASE:
        params.setdefault("transaction_id", conversion.ref)
    return {
        "client_id": conversion.client_id,
        "timestamp_micros": int(conversion.occurred_at.timestamp() * 1_000_000),
        "consent": {"ad_user_data": "DENIED", "ad_personalization": "DENIED"},
        "events": [{"name": conversion.event, "params": params}],
    }


def _post(path, body):
    response = http.request(
        "POST",
        f"{settings.GA4_API_BASE}{path}",
        params={
            "measurement_id": settings.GA4_MEASUREMENT_ID,
            "api_secret": settings.GA4_API_SECRET,
        },
        json=body,
        timeout=settings.GA4_TIMEOUT_SECONDS,
    )
    return http.raise_for_status(response, "Google Analytics")


def validate(conversion):
    """The debug endpoint's validation messages for this row (empty: valid)."""
    return _post("/debug/mp/collect", payload(conversion)).json().get("validationMessages", [])


def send_conversion(*, pk):
    now = timezone.now()
    free = Conversion.objects.filter(pk=pk, state=State.PENDING, next_attempt_at__lte=now)
    if not claim(free, state=State.SENDING):
        return None
    conversion = Conversion.objects.get(pk=pk)
    fields = {"held_by": ""}
    try:
        _post("/mp/collect", payload(conversion))
    except http.HTTPError as exc:
        attempts = conversion.attempts + 1
        fields.update(attempts=attempts, last_error=str(exc)[:2000])
        maybe_received = exc.sent and exc.status is None
        if maybe_received and conversion.event != Conversion.Event.PURCHASE:
            fields.update(state=State.UNCERTAIN, next_attempt_at=None)
        elif exc.permanent or attempts >= settings.GA4_MAX_ATTEMPTS:
            fields.update(state=State.FAILED, next_attempt_at=None)
        else:
            delay = retry_delay(attempts, cap=MAX_BACKOFF)
            fields.update(state=State.PENDING, next_attempt_at=timezone.now() + delay)
    else:
        fields.update(state=State.SENT, sent_at=timezone.now(), last_error="")
    Conversion.objects.filter(pk=pk, state=State.SENDING).update(**fields)
    return Conversion.objects.get(pk=pk)


def send_due(*, limit=500):
    """The sweeper: rows whose worker died mid-send become `uncertain` (a purchase goes
    again: GA drops a repeated transaction_id); due rows are enqueued."""
    now = timezone.now()
    sending = Conversion.objects.filter(state=State.SENDING)
    purchase = Q(event=Conversion.Event.PURCHASE)
    free_gone(sending.filter(purchase), state=State.PENDING, next_attempt_at=now)
    free_gone(sending.exclude(purchase), state=State.UNCERTAIN)
    due = Conversion.objects.filter(state=State.PENDING, next_attempt_at__lte=now)
    return enqueue_due(due, _enqueue_on_commit, limit=limit)


def drop_for_leads(leads):
    """Erasure or a withdrawn consent: what was not sent yet is not sent; sent rows and the
    contacts lose the client id."""
    Lead.objects.filter(pk__in=[lead.pk for lead in leads]).update(ga_client_id="")
    rows = Conversion.objects.filter(lead__in=leads)
    dropped = rows.filter(state=State.PENDING).update(state=State.DROPPED, next_attempt_at=None)
    rows.update(client_id="", params={})
    return dropped
