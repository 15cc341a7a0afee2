"""What providers tell us after a send: delivery reports, bounces, complaints, and
SMS keywords. Events arrive late, twice and out of order; each one may only move a
row forward (`statuses_below`), in a single conditional UPDATE."""

import logging
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from courseops.messaging.models import (
    Channel,
    OutboundMessage,
    Status,
    SuppressionReason,
    statuses_below,
)
from courseops.messaging.services.addresses import normalize_phone
from courseops.messaging.services.suppression import suppress, unsuppress

logger = logging.getLogger(__name__)

# Twilio MessageStatus -> our status. accepted/queued/sending mean Twilio has it.
TWILIO_STATUSES = {
    "accepted": Status.SENT,
    "scheduled": Status.SENT,
    "queued": Status.SENT,
    "sending": Status.SENT,
    "sent": Status.SENT,
    "delivered": Status.DELIVERED,
    "read": Status.DELIVERED,
    "undelivered": Status.BOUNCED,
    "failed": Status.BOUNCED,
}
TWILIO_OPTED_OUT = {"21610"}

# Keywords carriers and Twilio honour, plus the Spanish ones our students write.
STOP_WORDS = {
    "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT",
    "BAJA", "CANCELAR", "ALTO", "PARAR", "DETENER", "SALIR",
}  # fmt: skip
START_WORDS = {"START", "UNSTOP", "YES", "ALTA", "INICIAR", "SUSCRIBIR"}


def _advance(*, provider_message_id, status, last_error=None, channel=None):
    """Move the row(s) with this provider id to `status` if that is forward. Returns count."""
    if not provider_message_id:
        return 0
    rows = OutboundMessage.objects.filter(
        provider_message_id=provider_message_id, status__in=statuses_below(status)
    )
    if channel:
        rows = rows.filter(channel=channel)
    fields = {"status": status, "updated_at": timezone.now()}
    if last_error is not None:
        fields["last_error"] = last_error[:2000]
    return rows.update(**fields)


def record_sms_status(*, provider_message_id, status, error_code=None):
    """Apply a Twilio status callback. Unknown statuses and backwards moves are ignored.

    Error 21610 (recipient replied STOP) also suppresses the number.
    """
    ours = TWILIO_STATUSES.get((status or "").lower())
    if ours is None:
        return 0
    error = ""
    if error_code:
        error = _("Twilio informó el error %(code)s (%(status)s).") % {
            "code": error_code,
            "status": status,
        }
        if str(error_code) in TWILIO_OPTED_OUT:
            recipient = (
                OutboundMessage.objects.filter(provider_message_id=provider_message_id)
                .values_list("recipient", flat=True)
                .first()
            )
            if recipient:
                suppress(
                    channel=Channel.SMS,
                    address=recipient,
                    reason=SuppressionReason.SMS_STOP,
                    source=f"twilio error {error_code}",
                )
    return _advance(
        provider_message_id=provider_message_id,
        status=ours,
        last_error=error or None,
        channel=Channel.SMS,
    )


def _keyword(body):
    text = unicodedata.normalize("NFKD", body or "").encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Z]", "", text.upper())


def handle_inbound_sms(*, from_number, body):
    """STOP-like replies suppress the number, START-like ones lift it.

    Returns "stopped", "started" or None (an ordinary reply, left to other handlers).
    """
    word = _keyword(body)
    if word in STOP_WORDS:
        suppress(
            channel=Channel.SMS,
            address=normalize_phone(from_number),
            reason=SuppressionReason.SMS_STOP,
            source=f"inbound SMS: {word}",
        )
        return "stopped"
    if word in START_WORDS:
        unsuppress(channel=Channel.SMS, address=from_number, source=f"inbound SMS: {word}")
        return "started"
    return None


def record_email_event(
    *, provider_message_id, event, recipient="", description="", hard=True, unsubscribed=False
):
    """Apply an anymail tracking event (`event` is anymail's normalized event type).

    Delivered/bounced/complained move the row forward; a hard bounce, a complaint or a
    provider-side unsubscribe also suppress the address, as does a send the provider
    refused because the person had unsubscribed there (`unsubscribed`).
    """
    detail = (description or "")[:2000]
    count = 0
    if event == "delivered":
        count = _advance(
            provider_message_id=provider_message_id, status=Status.DELIVERED, channel=Channel.EMAIL
        )
    elif event in ("bounced", "rejected", "failed"):
        count = _advance(
            provider_message_id=provider_message_id,
            status=Status.BOUNCED,
            last_error=detail or event,
            channel=Channel.EMAIL,
        )
        if unsubscribed:
            _suppress_email(recipient, SuppressionReason.UNSUBSCRIBED, "provider unsubscribe")
        elif hard:
            _suppress_email(recipient, SuppressionReason.BOUNCED, f"provider {event}: {detail}")
    elif event == "complained":
        count = _advance(
            provider_message_id=provider_message_id,
            status=Status.COMPLAINED,
            channel=Channel.EMAIL,
        )
        _suppress_email(recipient, SuppressionReason.COMPLAINED, "provider complaint")
    elif event == "unsubscribed":
        _suppress_email(recipient, SuppressionReason.UNSUBSCRIBED, "provider unsubscribe")
    return count


def _suppress_email(recipient, reason, source):
    if not recipient:
        return
    try:
        suppress(channel=Channel.EMAIL, address=recipient, reason=reason, source=source[:200])
    except ValidationError:
        # A malformed address in a provider event: nothing to suppress, and raising would
        # make the provider redeliver the event forever.
        logger.warning("messaging.tracking.bad_recipient", extra={"recipient": recipient})
