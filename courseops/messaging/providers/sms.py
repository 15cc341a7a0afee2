"""SMS backends: a name, a label and one verb, `send(to=, body=) -> SendResult`; those whose
provider can say whether it took a message also `find_sent(to=, body=, since=) -> Lookup`."""

import logging
from datetime import timedelta

import requests
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from courseops.messaging.providers import Lookup, SendError, SendResult

logger = logging.getLogger(__name__)

# Twilio error codes meaning "this number opted out" (replied STOP).
TWILIO_OPTED_OUT = {21610}
# A lookup reads the newest texts to the number: ours, and any sent to it since.
TWILIO_LOOKUP_LIMIT = 20
# An SMS Twilio took but still holds in its queue (a sender's rate, a messaging service)
# has no `date_sent` yet, and the list filters on it: a "not found" is believed only once
# such a queue would have let it go (seconds, minutes under load).
TWILIO_SETTLE = timedelta(minutes=10)


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

    def find_sent(self, *, to, body, since):
        """Did Twilio take an SMS with this body to `to` at or after `since`?
        (providers.lookup). The list is Twilio's Message resource read with the SDK; its
        answer's shape as in twilio-python's own tests
        (tests/integration/api/v2010/account/test_message.py, `test_read_full_response`)."""
        try:
            # `DateSent>` counts whole GMT days on Twilio's side: the exact moment is
            # compared here, on the message's creation (set when Twilio accepts it).
            messages = self.client.messages.list(
                to=to, date_sent_after=since, limit=TWILIO_LOOKUP_LIMIT
            )
        except (TwilioRestException, TwilioServiceException) as exc:
            return Lookup.unknown(self.name, _twilio_error(exc))
        except requests.RequestException as exc:
            return Lookup.unknown(self.name, f"Twilio unreachable: {exc}")
        ours = [
            message
            for message in messages
            if str(message.direction or "").startswith("outbound")
            and (message.date_created is None or message.date_created >= since)
        ]
        for message in ours:
            if message.body == body:
                return Lookup.found(self.name, message.sid, message.date_created)
        if ours:
            # Another text went to that number since: perhaps ours, altered by Twilio on
            # the way (a messaging service's Smart Encoding swaps characters): not "not
            # found", which would send it twice.
            return Lookup.unknown(
                self.name,
                gettext("Twilio envió otro SMS a ese número desde entonces, con otro texto."),
            )
        return Lookup.not_found(self.name, settle=TWILIO_SETTLE)


def _twilio_error(exc):
    status, code = exc.status, exc.code
    detail = getattr(exc, "msg", "") or getattr(exc, "detail", "") or getattr(exc, "title", "")
    text = f"Twilio HTTP {status}, code {code}: {detail}"
    if code in TWILIO_OPTED_OUT:
        return SendError(text, permanent=True, suppress_reason="sms_stop")
    transient = status is None or status == 429 or status >= 500
    return SendError(text, permanent=not transient)
