"""Twilio's callbacks, received by the webhook inbox, applied to the outbox."""

from django.core.exceptions import ValidationError

from courseops.messaging.services import handle_inbound_sms, record_sms_status
from courseops.webhooks.errors import PermanentWebhookError
from courseops.webhooks.registry import webhook_handler


@webhook_handler("twilio", "message.status")
def twilio_status_callback(event):
    payload = event.payload
    record_sms_status(
        provider_message_id=payload["MessageSid"],
        status=payload["MessageStatus"],
        error_code=payload.get("ErrorCode") or None,
    )


@webhook_handler("twilio", "message.inbound")
def twilio_inbound_sms(event):
    try:
        handle_inbound_sms(
            from_number=event.payload.get("From", ""), body=event.payload.get("Body", "")
        )
    except ValidationError as exc:
        raise PermanentWebhookError(f"Unusable sender number: {exc.messages[0]}") from exc
