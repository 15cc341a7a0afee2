"""Apps announce what happened; every endpoint subscribed to it gets one delivery row.

`announce()` runs inside the caller's transaction (the event exists only if what it
reports was committed) and never raises for a missing broker: the rows are the record and
the sweeper sends what the on-commit task did not.
"""

import uuid

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from courseops.core.logging import get_logger
from courseops.operations.encryption import blind_index
from courseops.outbound.catalogue import get_event_type, iso
from courseops.outbound.models import Delivery, Endpoint, Event

logger = get_logger(__name__)

SUBSCRIBERS_KEY = "outbound:subscribers"
# Bounds how long another process can miss a change if a cache delete is lost.
SUBSCRIBERS_TTL = 60


def person_index(email: str) -> str:
    """The keyed hash events carry for the person they are about (erasure finds them)."""
    return blind_index(f"outbound:{email.strip().lower()}") if email else ""


def _subscribers(event_type):
    """The active endpoints subscribed to `event_type`. Read from the cache: announcing
    sits on hot paths (a registration, a lesson view) that must not pay a query when
    nobody listens; every change to endpoints forgets it (forget_subscribers)."""
    table = cache.get(SUBSCRIBERS_KEY)
    if table is None:
        table = {}
        # A handful of endpoints: their JSON lists read here (not searchable on SQLite).
        for pk, events in Endpoint.objects.filter(is_active=True).values_list("pk", "events"):
            for name in events:
                table.setdefault(name, []).append(pk)
        cache.set(SUBSCRIBERS_KEY, table, SUBSCRIBERS_TTL)
    return table.get(event_type, [])


def subscribed(event_type: str) -> bool:
    """Whether any active endpoint listens to `event_type` (no query while cached)."""
    return bool(_subscribers(event_type))


def forget_subscribers():
    """After any change to an endpoint: now, and again once the change commits (so a
    reader between the two cannot keep the old table)."""
    cache.delete(SUBSCRIBERS_KEY)
    transaction.on_commit(lambda: cache.delete(SUBSCRIBERS_KEY), robust=True)


def announce(event_type: str, data, *, person_email: str = "", now=None) -> Event | None:
    """Record `event_type` with `data` for every endpoint subscribed to it; returns the
    event, or None when nobody listens. `data` may be a function returning it, called
    only when someone listens (building it may cost queries). `person_email`: whose
    event it is, if anyone's.

    A `data` that does not match the catalogue's schema is not sent (logged as an error):
    receivers rely on the documented shape.
    """
    spec = get_event_type(event_type)
    if spec is None:
        raise ValueError(f"Unknown webhook event {event_type!r}: register it in the catalogue.")
    endpoint_pks = _subscribers(event_type)
    if not endpoint_pks:
        return None
    if callable(data):
        data = data()
    errors = spec.errors(data)
    if errors:
        logger.error("outbound.event.invalid", type=event_type, errors=errors[:5])
        return None
    now = now or timezone.now()
    event_id = f"evt_{uuid.uuid4().hex}"
    event = Event(
        event_id=event_id,
        event_type=event_type,
        payload={
            "id": event_id,
            "type": event_type,
            "timestamp": iso(now),
            "data": data,
        },
        person_index=person_index(person_email),
        created_at=now,
    )
    with transaction.atomic():
        event.save()
        deliveries = Delivery.objects.bulk_create(
            [
                Delivery(event=event, endpoint_id=pk, next_attempt_at=now, created_at=now)
                for pk in endpoint_pks
            ]
        )
    pks = [delivery.pk for delivery in deliveries]
    transaction.on_commit(lambda: _enqueue(pks), robust=True)
    logger.info("outbound.event.announced", type=event_type, deliveries=len(pks))
    return event


def _enqueue(delivery_pks):
    from courseops.outbound.tasks import send_delivery

    for pk in delivery_pks:
        send_delivery.delay(pk)
