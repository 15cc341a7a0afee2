"""Demo rows for the webhook inbox admin: one event of each outcome staff will meet."""

import json
from datetime import timedelta

from django.utils import timezone

from courseops.core.demo import register
from courseops.webhooks.models import WebhookEvent

Status = WebhookEvent.Status


@register
def load_webhooks_demo(*, staff):
    now = timezone.now()
    rows = [
        (
            "typeform",
            "demo-typeform-1",
            "form_response",
            {
                "event_id": "demo-typeform-1",
                "event_type": "form_response",
                "form_response": {
                    "form_id": "inscripcion",
                    "answers": [{"field": {"ref": "email"}, "email": "lucia@example.com"}],
                },
            },
            {"status": Status.PROCESSED, "attempts": 1, "processed_at": now},
        ),
        (
            "stripe",
            "evt_demo_1",
            "customer.updated",
            {"id": "evt_demo_1", "object": "event", "type": "customer.updated"},
            {"status": Status.IGNORED, "attempts": 1, "processed_at": now},
        ),
        (
            "generic",
            "demo-zapier-1",
            "lead.created",
            {"type": "lead.created", "data": {"email": "mario@example.com"}},
            {
                "status": Status.FAILED,
                "attempts": 6,
                "last_error": "Falló tras 6 intentos. ConnectionError: CRM no disponible",
            },
        ),
    ]
    for provider, event_id, event_type, payload, outcome in rows:
        WebhookEvent.objects.get_or_create(
            provider=provider,
            event_id=event_id,
            defaults={
                "event_type": event_type,
                "payload": payload,
                "body": json.dumps(payload),
                "headers": {"Content-Type": "application/json"},
                "received_at": now - timedelta(hours=1),
                **outcome,
            },
        )
