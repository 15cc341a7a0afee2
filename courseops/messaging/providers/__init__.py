"""The seams to the outside world: email through Django's mail API (anymail picks the
provider), SMS through a small registry of backends.

Every failure is raised as `SendError`, which says whether trying again could help.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

SMS_BACKENDS = {
    "console": "courseops.messaging.providers.sms.ConsoleSMSBackend",
    "twilio": "courseops.messaging.providers.sms.TwilioSMSBackend",
}


class SendError(Exception):
    """A provider refused or could not be reached.

    `permanent` errors (a bad address, a rejected request) will fail the same way
    again; transient ones (timeouts, 5xx, 429) are worth a bounded retry.
    `suppress_reason` is set when the provider told us the recipient opted out.
    `unaccepted` says the provider surely did not take the message (never reached, or it
    answered that it could not take it): another provider may be offered it.
    """

    def __init__(self, message, *, permanent, suppress_reason="", unaccepted=False):
        super().__init__(message)
        self.permanent = permanent
        self.suppress_reason = suppress_reason
        self.unaccepted = unaccepted


@dataclass(frozen=True)
class SendResult:
    provider: str
    provider_message_id: str = ""


def get_sms_backend(name=None):
    name = name or settings.SMS_BACKEND
    try:
        path = SMS_BACKENDS[name]
    except KeyError:
        raise SendError(
            f"Unknown SMS_BACKEND {name!r}; choose one of {sorted(SMS_BACKENDS)}", permanent=True
        ) from None
    return import_string(path)()
