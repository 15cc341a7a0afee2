from django.conf import settings
from django.http import HttpResponse, QueryDict
from twilio.request_validator import RequestValidator

from courseops.webhooks.errors import SignatureInvalid, SignatureMissing
from courseops.webhooks.providers.base import (
    InboundEvent,
    Provider,
    decode_text,
    reject_unstorable,
    required_text,
)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def _form(text: str) -> QueryDict:
    # QueryDict keeps blank values (`Body=`), which Twilio signs too; parse_qs drops them.
    return QueryDict(text, encoding="utf-8")


class TwilioProvider(Provider):
    """SMS status callbacks and inbound messages, signed with the account auth token.

    `X-Twilio-Signature` covers the exact URL Twilio called, so the URL is rebuilt from
    `SITE_URL` (what Twilio was given), not from the Host a proxy passed on.
    Status callbacks carry `MessageStatus`; inbound messages do not.
    """

    name = "twilio"
    label = "Twilio"
    secret_setting = "TWILIO_AUTH_TOKEN"
    kept_headers = (*Provider.kept_headers, "I-Twilio-Idempotency-Token")

    def verify(self, request, body, secret):
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature:
            raise SignatureMissing("Missing X-Twilio-Signature header.")
        url = settings.SITE_URL + request.get_full_path()
        if not RequestValidator(secret).validate(url, _form(decode_text(body)), signature):
            raise SignatureInvalid("Twilio signature does not match.")

    def parse(self, request, body):
        text = decode_text(body)
        form = _form(text)
        sid = required_text(form.get("MessageSid"), "MessageSid", 64)
        status = form.get("MessageStatus")
        if status is None:
            event_id, event_type = sid, "message.inbound"
        else:
            status = required_text(status, "MessageStatus", 32)
            event_id, event_type = f"{sid}:{status}", "message.status"
        # Repeated keys are kept as lists so nothing Twilio sent is lost.
        payload = {key: values[0] if len(values) == 1 else values for key, values in form.lists()}
        reject_unstorable(payload)
        return InboundEvent(event_id=event_id, event_type=event_type, payload=payload, body=text)

    def acknowledge(self, event, *, created):
        # Empty TwiML: Twilio replies nothing to the student; status callbacks ignore it.
        return HttpResponse(EMPTY_TWIML, content_type="text/xml")
