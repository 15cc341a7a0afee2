"""SMS backends: a name, a label and one verb, `send(to=, body=) -> SendResult`."""

import logging

import requests
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from courseops.messaging.providers import SendError, SendResult

logger = logging.getLogger(__name__)

# Twilio error codes meaning "this number opted out" (replied STOP).
TWILIO_OPTED_OUT = {21610}


class ConsoleSMSBackend:
    """Development default: the message goes to the log, nobody's phone rings."""

    name = "console"
    label = _("Consola (desarrollo)")

    def send(self, *, to, body):
        logger.info("sms.console to=%s body=%s", to, body)
        return SendResult(provider=self.name)


class TwilioSMSBackend:
    name = "twilio"
    label = _("Twilio")

    def __init__(self):
        self.client = Client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            http_client=TwilioHttpClient(timeout=settings.TWILIO_TIMEOUT_SECONDS),
        )
        if settings.TWILIO_API_BASE_URL:
            self.client.api.base_url = settings.TWILIO_API_BASE_URL

    def send(self, *, to, body):
        params = {"to": to, "body": body}
        if settings.TWILIO_MESSAGING_SERVICE_SID:
            params["messaging_service_sid"] = settings.TWILIO_MESSAGING_SERVICE_SID
        else:
            params["from_"] = settings.TWILIO_FROM_NUMBER
        if settings.TWILIO_STATUS_CALLBACK_URL:
            params["status_callback"] = settings.TWILIO_STATUS_CALLBACK_URL
        try:
            message = self.client.messages.create(**params)
        except (TwilioRestException, TwilioServiceException) as exc:
            raise _twilio_error(exc) from exc
        except requests.RequestException as exc:
            raise SendError(f"Twilio unreachable: {exc}", permanent=False) from exc
        return SendResult(provider=self.name, provider_message_id=message.sid)


def _twilio_error(exc):
    status, code = exc.status, exc.code
    detail = getattr(exc, "msg", "") or getattr(exc, "detail", "") or getattr(exc, "title", "")
    text = f"Twilio HTTP {status}, code {code}: {detail}"
    if code in TWILIO_OPTED_OUT:
        return SendError(text, permanent=True, suppress_reason="sms_stop")
    transient = status is None or status == 429 or status >= 500
    return SendError(text, permanent=not transient)
