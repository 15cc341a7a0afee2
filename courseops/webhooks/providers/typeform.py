import base64
import hashlib
import hmac

from courseops.webhooks.errors import SignatureInvalid, SignatureMissing
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


class TypeformProvider(Provider):
    """`Typeform-Signature: sha256=<base64 HMAC-SHA256(secret, raw body)>`.

    Typeform signs no timestamp, so a captured request could be replayed at any time;
    the unique (provider, event_id) row is what turns a replay into a no-op.
    """

    name = "typeform"
    label = "Typeform"
    secret_setting = "TYPEFORM_WEBHOOK_SECRET"
    kept_headers = (*Provider.kept_headers, "Typeform-Signature")

    def verify(self, request, body, secret):
        header = request.headers.get("Typeform-Signature", "")
        if not header:
            raise SignatureMissing("Missing Typeform-Signature header.")
        scheme, _, given = header.partition("=")
        if scheme != "sha256" or not given:
            raise SignatureInvalid("Typeform-Signature must be 'sha256=<base64>'.")
        digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
        if not same_digest(base64.b64encode(digest).decode(), given):
            raise SignatureInvalid("Typeform signature does not match.")

    def parse(self, request, body):
        text = decode_text(body)
        payload = parse_json_object(text)
        return InboundEvent(
            event_id=required_text(payload.get("event_id"), "event_id", MAX_EVENT_ID_LENGTH),
            event_type=required_text(
                payload.get("event_type"), "event_type", MAX_EVENT_TYPE_LENGTH
            ),
            payload=payload,
            body=text,
        )
