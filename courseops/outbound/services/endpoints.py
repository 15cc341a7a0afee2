"""Endpoints and their subscriptions: create (admin or REST Hooks subscribe), unsubscribe,
rotate the secret, enable again, and disable (by the delivery service or the receiver)."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courseops.audit.services import log_action
from courseops.core.http import HTTPError, check_url
from courseops.outbound.catalogue import event_types
from courseops.outbound.models import Delivery, Endpoint
from courseops.outbound.services.announce import forget_subscribers
from courseops.outbound.services.signing import new_secret

# After a rotation the old secret still signs for this long, so receivers can switch.
ROTATION_OVERLAP = timedelta(hours=24)


def clean_url(url: str) -> str:
    """An http(s) URL with a public address (courseops.core.http's guard, checked again
    on every address at send time)."""
    try:
        check_url(url)
    except HTTPError as exc:
        raise ValidationError({"url": str(exc)}) from exc
    return url


def clean_events(events) -> list[str]:
    known = event_types()
    events = list(dict.fromkeys(events or []))
    if not events:
        raise ValidationError({"events": _("Elige al menos un evento.")})
    unknown = [name for name in events if name not in known]
    if unknown:
        raise ValidationError(
            {
                "events": _("Eventos desconocidos: %(names)s. Consulta el catálogo.")
                % {"names": ", ".join(unknown)}
            }
        )
    return events


def endpoint_create(*, url, events, description="", origin, user=None) -> tuple[Endpoint, str]:
    """Returns (endpoint, secret); the secret is shown once and is not shown again."""
    endpoint = Endpoint(
        url=clean_url(url),
        events=clean_events(events),
        description=description,
        origin=origin,
        secret=new_secret(),
        created_by=user,
    )
    with transaction.atomic():
        endpoint.save()
        forget_subscribers()
        log_action(
            endpoint,
            "outbound.endpoint.created",
            user=user,
            data={"url": endpoint.url, "events": endpoint.events, "origin": origin},
        )
    return endpoint, endpoint.secret


def endpoint_delete(*, endpoint, user=None) -> None:
    """REST Hooks unsubscribe: the endpoint goes, with what it had not received yet."""
    with transaction.atomic():
        log_action(
            endpoint,
            "outbound.endpoint.deleted",
            user=user,
            data={"url": endpoint.url, "events": endpoint.events},
        )
        endpoint.delete()
        forget_subscribers()


def endpoint_rotate_secret(*, endpoint, user=None, now=None) -> str:
    """A new secret (returned, shown once); the old one keeps signing for a day."""
    now = now or timezone.now()
    with transaction.atomic():
        endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_until = now + ROTATION_OVERLAP
        endpoint.secret = new_secret()
        endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
        log_action(endpoint, "outbound.endpoint.secret_rotated", user=user)
    return endpoint.secret


def endpoint_enable(*, endpoint, user=None) -> bool:
    """Staff turn a disabled endpoint back on (after its owner fixed it); replays of what
    it missed are up to them."""
    with transaction.atomic():
        updated = Endpoint.objects.filter(pk=endpoint.pk, is_active=False).update(
            is_active=True, failing_since=None, disabled_at=None, disabled_reason=""
        )
        if updated:
            forget_subscribers()
            log_action(endpoint, "outbound.endpoint.enabled", user=user)
    return bool(updated)


def endpoint_disable(*, endpoint, reason: str, now=None) -> bool:
    """Stop sending to an endpoint (failing for a day, or it answered 410 Gone): what it
    still had pending fails with the reason; staff see an alert (courseops.outbound.alerts)."""
    now = now or timezone.now()
    with transaction.atomic():
        updated = Endpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
            is_active=False, disabled_at=now, disabled_reason=reason[:300]
        )
        if updated:
            forget_subscribers()
            Delivery.objects.filter(
                endpoint=endpoint,
                status__in=[Delivery.Status.PENDING, Delivery.Status.RETRYING],
            ).update(status=Delivery.Status.FAILED, next_attempt_at=None, last_error=reason)
            log_action(endpoint, "outbound.endpoint.disabled", data={"reason": reason})
    return bool(updated)


def endpoint_change(*, endpoint, user=None) -> None:
    """Save staff's edit of URL, description or events (validated by the admin's form)."""
    with transaction.atomic():
        endpoint.save(update_fields=["url", "description", "events"])
        forget_subscribers()
        log_action(
            endpoint,
            "outbound.endpoint.changed",
            user=user,
            data={"url": endpoint.url, "events": endpoint.events},
        )
