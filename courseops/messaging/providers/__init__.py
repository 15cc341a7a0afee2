"""The seams to the outside world: email through Django's mail API (anymail picks the
provider), SMS through a small registry of backends.

Every failure is raised as `SendError`, which says whether trying again could help.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

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


# A provider's answer to "did you accept this message?" (providers.lookup).
FOUND, NOT_FOUND, UNKNOWN = "found", "not_found", "unknown"


@dataclass(frozen=True)
class Lookup:
    """A provider's answer about one message."""

    answer: str
    provider: str = ""
    provider_message_id: str = ""
    accepted_at: datetime | None = None  # when the provider says it took it, if it says
    settle: timedelta = timedelta(0)  # with `not_found`: believed only this long after the call
    detail: str = ""  # with `unknown`: why, for staff
    askable: bool = True  # False: this provider cannot be asked at all (asking again is vain)

    @classmethod
    def found(cls, provider, provider_message_id="", accepted_at=None):
        return cls(FOUND, provider, str(provider_message_id or ""), accepted_at)

    @classmethod
    def not_found(cls, provider, settle=timedelta(0)):
        return cls(NOT_FOUND, provider, settle=settle)

    @classmethod
    def unknown(cls, provider, detail):
        return cls(UNKNOWN, provider, detail=str(detail)[:300])

    @classmethod
    def unaskable(cls, provider):
        return cls(UNKNOWN, provider, askable=False)


def get_sms_backend(name=None):
    name = name or settings.SMS_BACKEND
    try:
        path = SMS_BACKENDS[name]
    except KeyError:
        raise SendError(
            f"Unknown SMS_BACKEND {name!r}; choose one of {sorted(SMS_BACKENDS)}", permanent=True
        ) from None
    return import_string(path)()
