"""The provider interface: how one vendor's requests are verified and read."""

import hmac
import json
import math
import re
from dataclasses import dataclass

from django.conf import settings
from django.http import JsonResponse

from courseops.webhooks.errors import MalformedPayload, ProviderNotConfigured

MAX_EVENT_ID_LENGTH = 255
MAX_EVENT_TYPE_LENGTH = 100


@dataclass(frozen=True)
class InboundEvent:
    event_id: str
    event_type: str
    payload: dict
    body: str


class Provider:
    """A vendor that POSTs to /webhooks/<name>/.

    Subclasses set `name`, `label`, `secret_setting` and implement `verify` (raise
    `SignatureMissing`/`SignatureInvalid`) and `parse` (raise `MalformedPayload`).
    `verify` runs first, so nothing unsigned is ever parsed.
    """

    name = ""
    label = ""
    secret_setting = ""
    # Headers stored with the event, besides the signature scheme's own.
    kept_headers = ("Content-Type", "User-Agent")

    def secret(self):
        value = getattr(settings, self.secret_setting, "") or ""
        if not value:
            raise ProviderNotConfigured(f"{self.secret_setting} is not set: {self.name} is off.")
        return value

    def verify(self, request, body: bytes, secret: str) -> None:
        raise NotImplementedError

    def parse(self, request, body: bytes) -> InboundEvent:
        raise NotImplementedError

    def headers_to_keep(self, request):
        return {
            name: request.headers[name] for name in self.kept_headers if name in request.headers
        }

    def acknowledge(self, event, *, created: bool):
        """The 2xx the vendor gets; duplicates get the same success so it stops retrying."""
        return JsonResponse({"status": "received" if created else "duplicate"})


def decode_text(body: bytes) -> str:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedPayload("The body is not valid UTF-8.") from exc
    if "\x00" in text:
        raise MalformedPayload("The body contains NUL characters.")
    return text


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text}")
    return value


# PostgreSQL's JSON type refuses NUL characters and unpaired UTF-16 surrogates.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# In text from `decode_text` (no NUL, and strict UTF-8 decodes no surrogate) they can only
# come from a `\u` escape of a NUL or a surrogate (a pair, an emoji escaped by an ASCII-only
# encoder, is stored as one character). A body with no such escape holds no unstorable
# value, so the walk over every value (most of a Typeform delivery's parsing time) runs
# only when one appears.
_UNSTORABLE_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


def _unstorable(value):
    if isinstance(value, str):
        return bool(_UNSTORABLE.search(value))
    if isinstance(value, dict):
        return any(_unstorable(key) or _unstorable(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_unstorable(item) for item in value)
    return False


def reject_unstorable(payload: dict) -> dict:
    """A 400 now rather than a database error (a 500) when the row is saved."""
    if _unstorable(payload):
        raise MalformedPayload("The body contains NUL characters or unpaired surrogates.")
    return payload


def parse_json_object(text: str) -> dict:
    """Strict JSON: an object, with nothing the database's JSON type would refuse.

    `text` is the body as `decode_text` returns it."""
    try:
        payload = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except (ValueError, RecursionError) as exc:
        raise MalformedPayload(f"The body is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise MalformedPayload("The body must be a JSON object.")
    if "\x00" in text or _UNSTORABLE_ESCAPE.search(text):
        reject_unstorable(payload)
    return payload


def required_text(value, what, max_length):
    """A non-empty string of bounded length, or a 400 naming the field."""
    if not isinstance(value, str) or not value.strip():
        raise MalformedPayload(f"Missing {what}.")
    if len(value) > max_length:
        raise MalformedPayload(f"{what} is longer than {max_length} characters.")
    return value


def same_digest(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())
