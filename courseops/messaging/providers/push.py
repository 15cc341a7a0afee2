"""Web Push (RFC 8030) through pywebpush: the payload encrypted for each browser (RFC 8291,
aes128gcm) and signed with our VAPID key (RFC 8292).

One outbox row is one notice to a person; it goes to every browser they subscribed. A
push service answering 404 or 410 says the subscription is gone: it is deleted here.
"""

import json
import logging
import re
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from pywebpush import WebPushException, webpush

from courseops.core import http
from courseops.core.http import BlockedURL, HTTPError, check_url
from courseops.messaging.providers import SendError, SendResult

logger = logging.getLogger(__name__)

GONE = {404, 410}
# Push services' own throttling and outages: worth the outbox's bounded retries.
TRANSIENT = {429, 500, 502, 503, 504}
# A push service's host as we compare it: plain ASCII labels. Anything else before the
# path (a backslash, "%", non-ASCII) is read one way by urlsplit and another by the HTTP
# client that posts ("https://localhost\x.notify.windows.com/" posts to localhost).
HOST = re.compile(r"[a-z0-9.-]+")


def push_enabled():
    return bool(settings.WEBPUSH_VAPID_PRIVATE_KEY and settings.WEBPUSH_VAPID_PUBLIC_KEY)


def _host_matches(host, pattern):
    """`pattern` is a host name, or "*." and a suffix: any one label before the suffix."""
    if pattern.startswith("*."):
        label, _dot, rest = host.partition(".")
        return bool(label) and rest == pattern[2:]
    return host == pattern


def endpoint_allowed(endpoint):
    """Whether `endpoint` is on one of the push services we post to (WEBPUSH_SERVICE_URLS):
    a subscription is data a browser sent us, and we must not POST wherever it says.

    Compared as parsed URLs (not text) so nothing before the path can pose as the host:
    the same scheme, host and port, no user or fragment, and the path under the prefix's
    (with no dot segments to climb out of it).
    A query is allowed (Windows' endpoints carry their token there); it cannot move the
    host once parsed. The address also passes the shared HTTP client's guard, so an
    allowed name that is a private address literally is still refused."""
    if not isinstance(endpoint, str) or len(endpoint) > 2000:
        return False
    # Printable ASCII only, no backslash and no fragment: browsers' endpoints are plain
    # URLs, and every parser then agrees on where the host ends.
    if any(not 32 < ord(ch) < 127 or ch in "\\#" for ch in endpoint):
        return False
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        return False
    host = (parts.hostname or "").rstrip(".")
    if not HOST.fullmatch(host) or "%" in parts.netloc:
        return False
    if parts.username is not None or parts.password is not None:
        return False
    if any(segment in (".", "..") for segment in parts.path.split("/")):
        return False
    for prefix in settings.WEBPUSH_SERVICE_URLS:
        allowed = urlsplit(prefix)
        if (
            parts.scheme == allowed.scheme
            and _host_matches(host, (allowed.hostname or "").rstrip("."))
            and port == allowed.port
            and parts.path.startswith(allowed.path or "/")
        ):
            try:
                check_url(endpoint)
            # httpx's own parse (IDNA included) may still refuse what urlsplit took.
            except (BlockedURL, httpx.InvalidURL, UnicodeError):
                return False
            return True
    return False


class _GuardedSession:
    """What pywebpush posts through (its `requests_session`): the project's HTTP client
    for URLs people give, so the name is resolved and refused at connect time if any
    address is not public, and a redirect is an answer, never followed."""

    def __init__(self):
        self.client = http.make_client(timeout=settings.WEBPUSH_TIMEOUT_SECONDS, user_url=True)

    def post(self, url, *, data, headers, timeout):
        response = http.request(
            "POST",
            url,
            content=data,
            headers=headers,
            timeout=timeout,
            user_url=True,
            client=self.client,
        )
        # pywebpush reads requests' name for it in its error message.
        response.reason = response.reason_phrase
        return response


class WebPushBackend:
    name = "webpush"
    label = _lazy("Web Push (VAPID)")

    def __init__(self):
        self.session = _GuardedSession()

    def send(self, *, subscriptions, title, body, url="", ttl=None, urgency="normal"):
        """Push to every subscription; returns SendResult once at least one took it.

        Gone subscriptions are deleted; one whose endpoint is no longer allowed is skipped;
        if none took it, the SendError says whether any
        refusal was worth a retry.
        """
        from courseops.messaging.models import PushSubscription

        payload = json.dumps({"title": title, "body": body, "url": url}, ensure_ascii=False)
        accepted, transient, errors = [], False, []
        for subscription in subscriptions:
            # Checked again here: a row stored under an older, looser rule (or before the
            # operator narrowed the list) must not make us POST to it.
            if not endpoint_allowed(subscription.endpoint):
                errors.append(f"{subscription.pk}: endpoint not on WEBPUSH_SERVICE_URLS")
                continue
            try:
                response = webpush(
                    subscription_info={
                        "endpoint": subscription.endpoint,
                        "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
                    },
                    data=payload,
                    vapid_private_key=settings.WEBPUSH_VAPID_PRIVATE_KEY,
                    vapid_claims={"sub": settings.WEBPUSH_VAPID_SUBJECT},
                    timeout=settings.WEBPUSH_TIMEOUT_SECONDS,
                    ttl=int(ttl if ttl is not None else 24 * 3600),
                    headers={"Urgency": urgency},
                    requests_session=self.session,
                )
            except WebPushException as exc:
                status = exc.response.status_code if exc.response is not None else None
                if status in GONE:
                    PushSubscription.objects.filter(pk=subscription.pk).delete()
                    errors.append(f"{subscription.pk}: HTTP {status}, subscription removed")
                    continue
                transient = transient or status is None or status in TRANSIENT
                errors.append(f"{subscription.pk}: HTTP {status}: {str(exc)[:200]}")
                continue
            except HTTPError as exc:
                # A refused address is permanent; a connection that failed is not.
                transient = transient or not exc.permanent
                errors.append(f"{subscription.pk}: unreachable: {str(exc)[:200]}")
                continue
            accepted.append(subscription.pk)
            location = response.headers.get("Location", "")
        if not accepted:
            if not errors:
                raise SendError(_("La persona no tiene ningún navegador suscrito."), permanent=True)
            raise SendError("; ".join(errors), permanent=not transient)
        if errors:
            logger.warning("messaging.push.partial", extra={"errors": errors})
        PushSubscription.objects.filter(pk__in=accepted).update(last_sent_at=timezone.now())
        # The push service's message resource (RFC 8030 5): the last one, for reference.
        return SendResult(provider=self.name, provider_message_id=location[:255])
