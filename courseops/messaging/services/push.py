"""A person's browsers for web push: subscribing (what the portal's opt-in sends) and
unsubscribing; a queued notice's expiry. Sending is the outbox's `queue_push`."""

import base64
import binascii

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courseops.audit.services import log_action
from courseops.messaging.models import PushSubscription
from courseops.messaging.providers.push import endpoint_allowed, push_enabled
from courseops.messaging.services.addresses import normalize_email
from courseops.operations.encryption import blind_index

# An uncompressed P-256 point (RFC 8291 3.1) and a 16-byte auth secret.
P256DH_BYTES = 65
AUTH_BYTES = 16


def push_public_key():
    """The VAPID public key browsers subscribe with (applicationServerKey); "" when off."""
    return settings.WEBPUSH_VAPID_PUBLIC_KEY if push_enabled() else ""


def _urlsafe_bytes(value):
    value = str(value or "")
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return b""


def _checked(endpoint, p256dh, auth):
    if not push_enabled():
        raise ValidationError(_("Las notificaciones push no están activadas."))
    if not endpoint_allowed(endpoint):
        raise ValidationError(_("Ese servicio de notificaciones no está admitido."))
    key = _urlsafe_bytes(p256dh)
    if len(key) != P256DH_BYTES or key[0] != 4:
        raise ValidationError(_("La clave del navegador no es válida."))
    if len(_urlsafe_bytes(auth)) != AUTH_BYTES:
        raise ValidationError(_("El secreto del navegador no es válido."))


def subscribe_push(*, address, endpoint, p256dh, auth, browser="") -> PushSubscription:
    """Store (or take over) the browser subscription `endpoint` for the person `address`.

    A browser that subscribes again keeps one row: the same endpoint moves to whoever
    signed in last on it, with its new keys."""
    _checked(endpoint, p256dh, auth)
    address = normalize_email(address)
    with transaction.atomic():
        subscription = (
            PushSubscription.objects.select_for_update()
            .filter(endpoint_index=blind_index(endpoint))
            .first()
        ) or PushSubscription(endpoint=endpoint)
        created = subscription.pk is None
        subscription.address = address
        subscription.p256dh = p256dh
        subscription.auth = auth
        subscription.browser = str(browser or "")[:200]
        subscription.save()
        if created:
            log_action(subscription, "messaging.push.subscribed", data={"address": address})
    return subscription


def subscribed_addresses(addresses) -> set[str]:
    """Which of `addresses` (a list or a subquery of emails) have a browser subscribed,
    lowercased: one query for a whole audience."""
    return set(
        PushSubscription.objects.filter(address__in=addresses)
        .values_list("address", flat=True)
        .distinct()
    )


def unsubscribe_push(*, address, endpoint=None) -> int:
    """Forget the person's browser `endpoint` (or all of them); returns how many."""
    subscriptions = PushSubscription.objects.filter(address=normalize_email(address))
    if endpoint is not None:
        subscriptions = subscriptions.filter(endpoint_index=blind_index(endpoint))
    removed, _by_model = subscriptions.delete()
    return removed


def push_ttl(message, *, now=None):
    """Seconds the push service may keep `message` for an unreachable browser, counted from
    now, from the message's own `expires_at` (None: no expiry was given). A message past
    it never gets here: the outbox drops it first, for every channel."""
    if message.expires_at is None:
        return None
    return max(int((message.expires_at - (now or timezone.now())).total_seconds()), 0)
