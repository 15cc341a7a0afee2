"""Zoom as a provider of the webhook inbox (/webhooks/zoom/).

Zoom signs `v0:{x-zm-request-timestamp}:{raw body}` with the app's Secret Token
(`x-zm-signature: v0=<hex HMAC-SHA256>`), and proves the endpoint with an
`endpoint.url_validation` challenge answered in the same response. Zoom sends no event id:
a retry resends the same body, so the body's SHA-256 is the id that makes it a duplicate.
"""

import hashlib
import hmac
import time

from django.http import JsonResponse

from courseops.webhooks.errors import MalformedPayload, SignatureInvalid, SignatureMissing
from courseops.webhooks.providers.base import (
    MAX_EVENT_TYPE_LENGTH,
    InboundEvent,
    Provider,
    decode_text,
    parse_json_object,
    required_text,
    same_digest,
)

# Zoom's timestamp further than this from our clock is refused: a captured request
# cannot be replayed later.
TOLERANCE_SECONDS = 5 * 60
URL_VALIDATION = "endpoint.url_validation"


def hmac_hex(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def sign(*, secret: str, timestamp: int, body: bytes) -> str:
    """The `x-zm-signature` Zoom sends for this body (used by the tests too)."""
    message = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class ZoomProvider(Provider):
    name = "zoom"
    label = "Zoom"
    secret_setting = "ZOOM_WEBHOOK_SECRET_TOKEN"
    kept_headers = (*Provider.kept_headers, "x-zm-request-timestamp", "x-zm-trackingid")

    def verify(self, request, body, secret):
        timestamp = request.headers.get("x-zm-request-timestamp", "")
        given = request.headers.get("x-zm-signature", "")
        if not (timestamp and given):
            raise SignatureMissing("x-zm-signature and x-zm-request-timestamp are required.")
        try:
            sent_at = int(timestamp)
        except ValueError as exc:
            raise SignatureInvalid("x-zm-request-timestamp must be Unix seconds.") from exc
        if abs(time.time() - sent_at) > TOLERANCE_SECONDS:
            raise SignatureInvalid("x-zm-request-timestamp is outside the 5-minute window.")
        if not same_digest(sign(secret=secret, timestamp=sent_at, body=body), given):
            raise SignatureInvalid("x-zm-signature does not match.")

    def parse(self, request, body):
        text = decode_text(body)
        payload = parse_json_object(text)
        event_type = required_text(payload.get("event"), "event", MAX_EVENT_TYPE_LENGTH)
        if not isinstance(payload.get("payload"), dict):
            raise MalformedPayload("Missing payload object.")
        if event_type == URL_VALIDATION:
            required_text(payload["payload"].get("plainToken"), "payload.plainToken", 255)
        return InboundEvent(
            event_id=f"sha256:{hashlib.sha256(body).hexdigest()}",
            event_type=event_type,
            payload=payload,
            body=text,
        )

    def acknowledge(self, event, *, created):
        if event.event_type != URL_VALIDATION:
            return super().acknowledge(event, created=created)
        plain = event.payload["payload"]["plainToken"]
        return JsonResponse({"plainToken": plain, "encryptedToken": hmac_hex(self.secret(), plain)})


class GoogleCalendarProvider(Provider):
    """Google Calendar's push notifications (/webhooks/google_calendar/): no body and no
    signature; each carries the channel's id and the token we gave `events.watch`. Only the
    channel we opened, with our token, gets through. The message number (per channel) is
    the event id. https://developers.google.com/workspace/calendar/api/guides/push"""

    name = "google_calendar"
    label = "Google Calendar"
    secret_setting = "GOOGLE_CALENDAR_CHANNEL_TOKEN"
    kept_headers = (
        *Provider.kept_headers,
        "X-Goog-Channel-ID",
        "X-Goog-Resource-ID",
        "X-Goog-Resource-State",
        "X-Goog-Message-Number",
    )

    def verify(self, request, body, secret):
        from webinars.services.google_calendar import known_channel

        token = request.headers.get("X-Goog-Channel-Token", "")
        channel = request.headers.get("X-Goog-Channel-ID", "")
        if not (token and channel):
            raise SignatureMissing("X-Goog-Channel-ID and X-Goog-Channel-Token are required.")
        if not same_digest(secret, token):
            raise SignatureInvalid("X-Goog-Channel-Token does not match.")
        if not known_channel(channel):
            raise SignatureInvalid("X-Goog-Channel-ID is not the channel we opened.")

    def parse(self, request, body):
        channel = request.headers["X-Goog-Channel-ID"]
        number = required_text(request.headers.get("X-Goog-Message-Number"), "message number", 40)
        state = required_text(
            request.headers.get("X-Goog-Resource-State"), "resource state", MAX_EVENT_TYPE_LENGTH
        )
        return InboundEvent(
            event_id=f"{channel}:{number}",
            event_type=state,
            payload={
                "channel": channel,
                "resource": request.headers.get("X-Goog-Resource-ID", ""),
                "state": state,
            },
            body="",
        )
