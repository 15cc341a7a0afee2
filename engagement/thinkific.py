"""Thinkific's webhooks, for when Thinkific is the LMS (`LMS_BACKEND=thinkific`).

Thinkific signs the raw body with the site's API key (`X-Thinkific-Hmac-Sha256`, hex
HMAC-SHA256) and signs no timestamp: the inbox's unique (provider, event id) row is what
turns a replayed delivery into a no-op. The event type is the topic, `resource.action`.
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


class ThinkificProvider(Provider):
    name = "thinkific"
    label = "Thinkific"
    secret_setting = "THINKIFIC_API_KEY"
    kept_headers = (
        *Provider.kept_headers,
        "X-Thinkific-Hmac-Sha256",
        "X-Thinkific-Topic",
        "X-Thinkific-Subdomain",
    )

    def verify(self, request, body, secret):
        given = request.headers.get("X-Thinkific-Hmac-Sha256", "")
        if not given:
            raise SignatureMissing("Missing X-Thinkific-Hmac-Sha256 header.")
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if not same_digest(expected, given.strip().lower()):
            raise SignatureInvalid("Thinkific signature does not match.")

    def parse(self, request, body):
        text = decode_text(body)
        payload = parse_json_object(text)
        event_id = payload.get("id")
        if isinstance(event_id, int) and not isinstance(event_id, bool):
            event_id = str(event_id)
        resource, action = payload.get("resource"), payload.get("action")
        if not (isinstance(resource, str) and isinstance(action, str)):
            raise MalformedPayload("Missing resource or action.")
        if not isinstance(payload.get("payload"), dict):
            raise MalformedPayload("Missing payload object.")
        return InboundEvent(
            event_id=required_text(event_id, "id", MAX_EVENT_ID_LENGTH),
            event_type=required_text(f"{resource}.{action}", "topic", MAX_EVENT_TYPE_LENGTH),
            payload=payload,
            body=text,
        )
