"""The generic provider: any form tool, Zapier or n8n that can sign a request.

It follows the Standard Webhooks scheme (https://www.standardwebhooks.com), so any of its
libraries can sign for us; `docs/webhooks.md` shows how to sign by hand.
"""

import base64
import binascii
import functools
import hashlib
import hmac
import time

from courseops.webhooks.errors import (
    ProviderNotConfigured,
    SignatureInvalid,
    SignatureMissing,
)
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

# A signed timestamp further than this from our clock (either way) is refused, so a
# captured request cannot be replayed later.
TOLERANCE_SECONDS = 5 * 60
SECRET_PREFIX = "whsec_"


# Keyed by the secret itself: a rotated secret is decoded on its first request.
@functools.lru_cache(maxsize=8)
def secret_key(secret: str) -> bytes:
    """The HMAC key: the base64 after `whsec_` (the Standard Webhooks secret format)."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"the secret must start with {SECRET_PREFIX!r}")
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error as exc:
        raise ValueError("the part after 'whsec_' is not valid base64") from exc
    if len(key) < 24:
        raise ValueError("the key must be at least 24 bytes")
    return key


def sign(*, secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    """The `Webhook-Signature` value for one request (also used by the tests and bench)."""
    signed = f"{event_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


class GenericProvider(Provider):
    """`Webhook-Id`, `Webhook-Timestamp` and `Webhook-Signature: v1,<base64 HMAC-SHA256>`
    of `"{id}.{timestamp}.{body}"`; the body is a JSON object whose `type` names the event.
    """

    name = "generic"
    label = "Genérico (Standard Webhooks)"
    secret_setting = "GENERIC_WEBHOOK_SECRET"
    kept_headers = (*Provider.kept_headers, "Webhook-Id", "Webhook-Timestamp")

    def secret(self):
        value = super().secret()
        try:
            secret_key(value)
        except ValueError as exc:
            raise ProviderNotConfigured(f"GENERIC_WEBHOOK_SECRET is unusable: {exc}.") from exc
        return value

    def verify(self, request, body, secret):
        event_id = request.headers.get("Webhook-Id", "")
        timestamp = request.headers.get("Webhook-Timestamp", "")
        header = request.headers.get("Webhook-Signature", "")
        if not (event_id and timestamp and header):
            raise SignatureMissing(
                "Webhook-Id, Webhook-Timestamp and Webhook-Signature headers are required."
            )
        try:
            sent_at = int(timestamp)
        except ValueError as exc:
            raise SignatureInvalid("Webhook-Timestamp must be Unix seconds.") from exc
        if abs(time.time() - sent_at) > TOLERANCE_SECONDS:
            raise SignatureInvalid("Webhook-Timestamp is outside the 5-minute window.")
        expected = sign(secret=secret, event_id=event_id, timestamp=sent_at, body=body)
        # Several space-separated signatures let the sender rotate secrets.
        if not any(same_digest(expected, given) for given in header.split()):
            raise SignatureInvalid("Webhook-Signature does not match.")

    def parse(self, request, body):
        text = decode_text(body)
        payload = parse_json_object(text)
        event_id = request.headers.get("Webhook-Id", "")
        return InboundEvent(
            event_id=required_text(event_id, "Webhook-Id", MAX_EVENT_ID_LENGTH),
            event_type=required_text(payload.get("type"), "type", MAX_EVENT_TYPE_LENGTH),
            payload=payload,
            body=text,
        )
