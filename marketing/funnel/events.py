"""Conversions reported by external sites (their own checkout, a partner's form): each
`event_id` from one reporter counts once; a repeat answers what the first did."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from courseops.core.dates import datetime_or_none
from marketing.funnel.models import ExternalEvent
from marketing.models import Action
from marketing.services.leads import capture_lead
from marketing.services.scoring import record_action

ACTIONS = {
    ExternalEvent.Type.CHECKOUT_STARTED: Action.CHECKOUT_STARTED,
    ExternalEvent.Type.WEBINAR_REGISTERED: Action.WEBINAR_REGISTERED,
}


class EventError(ValueError):
    def __init__(self, errors):
        super().__init__(str(errors))
        self.errors = errors


def _occurred_at(value):
    if not value:
        return timezone.now()
    parsed = datetime_or_none(str(value)) if not isinstance(value, datetime) else value
    if parsed is None or timezone.is_naive(parsed):
        raise EventError({"occurred_at": ["Fecha ISO 8601 con zona horaria."]})
    return parsed


def report_event(*, data, user):
    """Record one reported event. Returns (event, created); raises EventError."""
    event_id = str(data.get("event_id") or "").strip()[:200]
    if not event_id:
        raise EventError(
            {"event_id": ["Obligatorio: identifica el evento para no contarlo dos veces."]}
        )
    kind = data.get("type")
    if kind not in ExternalEvent.Type.values:
        raise EventError({"type": [f"Uno de: {', '.join(ExternalEvent.Type.values)}."]})
    existing = ExternalEvent.objects.filter(reported_by=user, event_id=event_id).first()
    if existing is not None:
        return existing, False
    occurred_at = _occurred_at(data.get("occurred_at"))
    lead_data = {key: value for key, value in data.items() if key not in ("event_id", "type")}
    try:
        with transaction.atomic():
            result = capture_lead(data=lead_data, source="event", user=user)
            if result.errors:
                raise EventError(result.errors)
            event = ExternalEvent.objects.create(
                event_id=event_id,
                reported_by=user,
                type=kind,
                lead=result.lead,
                data={
                    k: v for k, v in lead_data.items() if isinstance(v, str | int | float | bool)
                },
                occurred_at=occurred_at,
            )
            if kind in ACTIONS:
                record_action(
                    lead=result.lead, action=ACTIONS[kind], ref=f"event:{event_id}", at=occurred_at
                )
    except IntegrityError:  # the same event reported twice at once: the other one won
        return ExternalEvent.objects.get(reported_by=user, event_id=event_id), False
    return event, True
