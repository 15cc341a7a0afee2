import stripe

from courseops.webhooks.errors import MalformedPayload, SignatureInvalid, SignatureMissing
from courseops.webhooks.providers.base import (
    MAX_EVENT_ID_LENGTH,
    MAX_EVENT_TYPE_LENGTH,
    InboundEvent,
    Provider,
    decode_text,
    parse_json_object,
    required_text,
)

# Stripe's own default: a signed timestamp older than this is a replay.
TOLERANCE_SECONDS = 300


class StripeProvider(Provider):
    """Verified by the official SDK (`Stripe-Signature: t=...,v1=...`, 300 s window).

    Stripe retries for days and out of order: handlers should re-read the object's
    current state from Stripe rather than trust the order events arrive in.
    """

    name = "stripe"
    label = "Stripe"
    secret_setting = "STRIPE_WEBHOOK_SECRET"
    kept_headers = (*Provider.kept_headers, "Stripe-Signature")

    def verify(self, request, body, secret):
        header = request.headers.get("Stripe-Signature", "")
        if not header:
            raise SignatureMissing("Missing Stripe-Signature header.")
        try:
            stripe.Webhook.construct_event(
                decode_text(body), header, secret, tolerance=TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError as exc:
            raise SignatureInvalid(f"Stripe signature rejected: {exc.user_message}") from exc
        except (ValueError, AttributeError, TypeError) as exc:
            # Signed, but not a Stripe snapshot event (a JSON array, a thin v2 event).
            raise MalformedPayload(f"Not a Stripe event: {exc}") from exc

    def parse(self, request, body):
        text = decode_text(body)
        payload = parse_json_object(text)
        return InboundEvent(
            event_id=required_text(payload.get("id"), "id", MAX_EVENT_ID_LENGTH),
            event_type=required_text(payload.get("type"), "type", MAX_EVENT_TYPE_LENGTH),
            payload=payload,
            body=text,
        )
