"""The suppression list and the signed one-click unsubscribe links."""

from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse

from courseops.audit.services import log_action
from courseops.messaging.hooks import address_suppressed
from courseops.messaging.models import Category, Channel, Suppression, SuppressionReason
from courseops.messaging.services.addresses import normalize

UNSUBSCRIBE_SALT = "courseops.messaging.unsubscribe"

# An unsubscribe is from what the business chooses to send; a receipt or a class link
# still goes out. Bounces, complaints and SMS STOP stop everything.
OPT_OUT_CATEGORIES = (Category.ENGAGEMENT, Category.MARKETING)


def suppress(*, channel, address, reason, source="", user=None):
    """Add `address` to the suppression list; idempotent (the first reason is kept)."""
    address = normalize(channel, address)
    try:
        with transaction.atomic():
            suppression = Suppression.objects.create(
                channel=channel,
                address=address,
                reason=reason,
                source=source[:200],
                created_by=user,
            )
    except IntegrityError:
        existing = Suppression.objects.get(channel=channel, address=address)
        if existing.reason == SuppressionReason.UNSUBSCRIBED and reason != existing.reason:
            # A bounce or complaint is stronger than an unsubscribe: it blocks everything.
            existing.reason, existing.source = reason, source[:200]
            existing.save(update_fields=["reason", "source"])
            _announce(existing)
        return existing
    log_action(
        suppression,
        "messaging.suppression.created",
        user=user,
        data={"channel": channel, "reason": reason, "source": source},
    )
    _announce(suppression)
    return suppression


def _announce(suppression):
    address_suppressed.send(
        sender=Suppression,
        channel=suppression.channel,
        address=suppression.address,
        reason=suppression.reason,
        source=suppression.source,
    )


def unsuppress(*, channel, address, source="", user=None):
    """Remove `address` from the list (SMS START, or staff). Returns whether it was there."""
    address = normalize(channel, address)
    suppression = Suppression.objects.filter(channel=channel, address=address).first()
    if suppression is None:
        return False
    log_action(
        suppression,
        "messaging.suppression.removed",
        user=user,
        data={"channel": channel, "reason": suppression.reason, "source": source},
    )
    suppression.delete()
    return True


def is_suppressed(*, channel, address, category=None):
    """Whether a message to `address` must not be sent.

    Without `category` any entry counts; with it, an unsubscribe only blocks
    engagement and marketing messages.
    """
    address = normalize(channel, address)
    entries = Suppression.objects.filter(channel=channel, address=address)
    if category is not None and category not in OPT_OUT_CATEGORIES:
        entries = entries.exclude(reason=SuppressionReason.UNSUBSCRIBED)
    return entries.exists()


def suppressed_among(messages):
    """The pks of `messages` that must not be sent (`is_suppressed` for a batch, in one
    query)."""
    addresses = {normalize(message.channel, message.recipient) for message in messages}
    reasons = {}
    for channel, address, reason in Suppression.objects.filter(address__in=addresses).values_list(
        "channel", "address", "reason"
    ):
        reasons[channel, address] = reason
    blocked = set()
    for message in messages:
        reason = reasons.get((message.channel, normalize(message.channel, message.recipient)))
        if reason is None:
            continue
        if reason != SuppressionReason.UNSUBSCRIBED or message.category in OPT_OUT_CATEGORIES:
            blocked.add(message.pk)
    return blocked


def unsubscribe_token(*, address):
    return signing.dumps({"a": address}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token):
    """The address a token was made for; raises `signing.BadSignature` if tampered."""
    return signing.loads(token, salt=UNSUBSCRIBE_SALT)["a"]


def unsubscribe_url(*, address, language=None):
    """The link in the email; `language` (the recipient's) is the page's language."""
    path = reverse("messaging:unsubscribe", args=[unsubscribe_token(address=address)])
    query = f"?{urlencode({'lang': language})}" if language else ""
    return f"{settings.SITE_URL}{path}{query}"


def unsubscribe_email(*, token, source):
    """Handle a confirmed unsubscribe (page button or RFC 8058 one-click POST)."""
    address = read_unsubscribe_token(token)
    return suppress(
        channel=Channel.EMAIL, address=address, reason=SuppressionReason.UNSUBSCRIBED, source=source
    )
