"""One spelling per address, so the suppression list and the outbox agree."""

import re
from email.utils import parseaddr

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from courseops.messaging.models import Channel

_PHONE_NOISE = re.compile(r"[\s\-().]")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# Mexico dropped the "1" after +52 for mobiles (2019-2020): +521 and ten digits, written
# the old way, is the same line as +52 and those ten digits.
_OLD_MEXICAN_MOBILE = re.compile(r"^\+521(\d{10})$")


def normalize_email(address):
    address = (address or "").strip()
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError(
            _("Dirección de correo no válida: %(address)s"), params={"address": address}
        ) from None
    # Mailboxes are case-insensitive in practice; one spelling keeps suppression exact.
    return address.lower()


def normalize_sender(value):
    """A From header ("Name <address>" or an address), checked: one valid address and no
    line breaks (a header injection). Returned as given, without surrounding spaces."""
    value = (value or "").strip()
    _name, address = parseaddr(value)
    try:
        if not address or "\n" in value or "\r" in value:
            raise ValidationError("")
        validate_email(address)
    except ValidationError:
        raise ValidationError(
            _("Remitente no válido: %(value)s"), params={"value": value}
        ) from None
    return value


def phone_text(number):
    """A typed number without spaces or punctuation, 00 as +, and an old-style Mexican
    mobile (+521...) in today's numbering: the one rule every app applies before its own
    checks (the outbox's E.164 below, the students' per-country validation)."""
    cleaned = _PHONE_NOISE.sub("", (number or "").strip())
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    return _OLD_MEXICAN_MOBILE.sub(r"+52\1", cleaned)


def normalize_phone(number):
    """E.164 (+525512345678): Twilio's format and the one its webhooks report."""
    cleaned = phone_text(number)
    if not _E164.match(cleaned):
        raise ValidationError(
            _("Número de teléfono no válido (formato internacional, p. ej. +525512345678): %(n)s"),
            params={"n": number},
        )
    return cleaned


def normalize(channel, address):
    # A push notice is addressed to the person's email (their subscribed browsers).
    if channel in (Channel.EMAIL, Channel.PUSH):
        return normalize_email(address)
    return normalize_phone(address)
