"""One spelling per address, so the suppression list and the outbox agree."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from courseops.messaging.models import Channel

_PHONE_NOISE = re.compile(r"[\s\-().]")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


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


def normalize_phone(number):
    """E.164 (+5215512345678): Twilio's format and the one its webhooks report."""
    cleaned = _PHONE_NOISE.sub("", (number or "").strip())
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    if not _E164.match(cleaned):
        raise ValidationError(
            _("Número de teléfono no válido (formato internacional, p. ej. +5215512345678): %(n)s"),
            params={"n": number},
        )
    return cleaned


def normalize(channel, address):
    return normalize_email(address) if channel == Channel.EMAIL else normalize_phone(address)
