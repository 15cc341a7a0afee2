"""When a Facebook page's token expires, read from Graph's `debug_token` into the channel's
`token_expires_at`, which the expiring-token alert (`marketing.alerts`) watches.

`data.expires_at` is a Unix time, or 0 for a token that never expires; a token Graph
calls invalid (or refuses to inspect as expired/revoked, code 190) counts as expired now,
so staff hear of it before the next post fails."""

from datetime import UTC, datetime

import structlog
from django.conf import settings
from django.utils import timezone

from courseops.core import http
from marketing.social.models import SocialChannel
from marketing.social.providers import GRAPH_TOKEN, graph_error, graph_url

logger = structlog.get_logger(__name__)


class TokenCheckError(Exception):
    pass


def _debug_token(token):
    try:
        response = http.request(
            "GET",
            graph_url("debug_token"),
            params={
                "input_token": token,
                "access_token": settings.MARKETING_META_APP_TOKEN or token,
            },
            timeout=settings.MARKETING_SOCIAL_TIMEOUT_SECONDS,
        )
    except http.HTTPError as exc:
        raise TokenCheckError(f"{type(exc).__name__}: {exc}") from exc
    error = graph_error(response)
    if error.get("code") in GRAPH_TOKEN:
        return {"is_valid": False}
    if response.status_code >= 400 or error:
        raise TokenCheckError(f"debug_token {response.status_code}: {response.text[:300]}")
    try:
        return response.json()["data"]
    except (ValueError, KeyError, TypeError) as exc:
        raise TokenCheckError(f"debug_token: {response.text[:300]}") from exc


def refresh_token_expiry(*, channel, now=None):
    """Ask Graph when the channel's token expires and store it (None: never). Returns the
    stored value; raises TokenCheckError when Graph could not say (nothing changes)."""
    now = now or timezone.now()
    data = _debug_token(channel.access_token)
    if not data.get("is_valid"):
        expires_at = now
    elif data.get("expires_at"):
        expires_at = datetime.fromtimestamp(int(data["expires_at"]), tz=UTC)
    else:
        expires_at = None  # 0: a page token from a long-lived user token never expires
    channel.token_expires_at = expires_at
    channel.save(update_fields=["token_expires_at"])
    return expires_at


def refresh_meta_tokens(*, now=None):
    """Every active Facebook page channel with a token (daily). Returns how many were read."""
    channels = SocialChannel.objects.filter(
        active=True, provider=SocialChannel.Provider.FACEBOOK
    ).exclude(access_token="")
    read = 0
    for channel in channels:
        try:
            refresh_token_expiry(channel=channel, now=now)
            read += 1
        except TokenCheckError as exc:
            logger.warning("social_token.check_failed", channel=channel.pk, error=str(exc))
    return read
