"""Teachable's webhooks, for when Teachable is the LMS (`LMS_BACKEND=teachable`).

Each delivery is `{"id", "type": "<Object>.<action>", "created", "hook_event_id",
"object": {...}}` and carries `Teachable-Signature`: hex HMAC-SHA256 of the raw body with
the school's webhook secret. No timestamp is signed: the inbox's unique (provider, event
id) row is what turns a replayed delivery into a no-op. The event id is `hook_event_id`
(one per event, kept across Teachable's retries), else `id`.
"""

import hashlib
import hmac

from courseops.webhooks.errors import MalformedPayload, SignatureInvalid, SignatureMissing
from courseops.webhooks.providers.base import (
    MAX_EVENT_ID_LENGTH,
    MAX_EVENT_TYPE_LENGTH,
    InboundEvent,
    Provider,
    decode_text,
    parse_json_object,
    required_text,
    same_digest,
)

SIGNATURE_HEADER = "Teachable-Signature"


class TeachableProvider(Provider):
    name = "teachable"
    label = "Teachable"
    secret_setting = "TEACHABLE_WEBHOOK_SECRET"
    kept_headers = (*Provider.kept_headers, SIGNATURE_HEADER)

    def verify(self, request, body, secret):
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not given:
            raise SignatureMissing(f"Missing {SIGNATURE_HEADER} header.")
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if not same_digest(expected, given.strip().lower()):
            raise SignatureInvalid("Teachable signature does not match.")

    def parse(self, request, body):
        text = decode_text(body)
        payload = parse_json_object(text)
        event_id = payload.get("hook_event_id") or payload.get("id")
        if isinstance(event_id, int) and not isinstance(event_id, bool):
            event_id = str(event_id)
        if not isinstance(payload.get("object"), dict):
            raise MalformedPayload("Missing object.")
        return InboundEvent(
            event_id=required_text(event_id, "hook_event_id", MAX_EVENT_ID_LENGTH),
            event_type=required_text(payload.get("type"), "type", MAX_EVENT_TYPE_LENGTH),
            payload=payload,
            body=text,
        )
