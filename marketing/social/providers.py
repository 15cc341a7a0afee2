"""How a post reaches its network. Each provider returns the id the network gave the post
(a post without one is not published) or raises PublishError.

- `console`: logs the post (development, demos); its id is local.
- `webhook`: a signed JSON POST to Zapier, Make or n8n, whose answer must carry the
  published post's `id`. Signature: `X-CourseOps-Signature: t=<unix>,v1=<hex>` with
  HMAC-SHA256 of `<t>.<body>` under MARKETING_SOCIAL_WEBHOOK_SECRET (as our incoming
  generic HMAC webhooks, see docs/webhooks.md).
- `linkedin`: the Posts API for an organization page; the new post's URN comes in the
  `x-restli-id` header of a 201.
- `facebook`: Meta's Graph API for a Facebook page, `POST /<version>/<page-id>/feed` with
  `message` (and the post's first link as `link`) and the page access token; published
  only with the `id` of the answer. A 5xx or an answer without the id may have posted:
  left for staff, never re-sent.
"""

import hashlib
import hmac
import json
import re
import time
from urllib.parse import unquote

import structlog
from django.conf import settings
from django.utils.translation import gettext as _

from courseops.core import http

logger = structlog.get_logger(__name__)

# HTTP statuses worth retrying (the network is down or asks us to slow down).
TRANSIENT = {408, 425, 429, 500, 502, 503, 504}


class PublishError(Exception):
    """`permanent`: retrying cannot help. `unknown`: the request may have reached the
    network (a timeout after sending), so retrying could publish twice."""

    def __init__(self, message, *, permanent, unknown=False):
        super().__init__(message)
        self.permanent = permanent
        self.unknown = unknown


def _post(url, *, user_url=False, **kwargs):
    """`user_url`: staff typed the URL (a webhook channel), so it must be a public address.
    A failure before the connection opened is safe to retry; after, the post may exist."""
    try:
        return http.request(
            "POST",
            url,
            timeout=settings.MARKETING_SOCIAL_TIMEOUT_SECONDS,
            user_url=user_url,
            **kwargs,
        )
    except http.BlockedURL as exc:
        raise PublishError(str(exc), permanent=True) from exc
    except http.HTTPError as exc:
        raise PublishError(str(exc), permanent=False, unknown=exc.sent) from exc


def _check(response, network):
    if response.status_code in TRANSIENT:
        raise PublishError(f"{network} {response.status_code}", permanent=False)
    if response.status_code >= 400:
        raise PublishError(
            f"{network} {response.status_code}: {response.text[:300]}", permanent=True
        )


def publish_console(post):
    logger.info("social_post.console", post=post.pk, channel=post.channel_id, text=post.text)
    return f"console-{post.pk}"


def sign(body: bytes, secret: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def publish_webhook(post):
    channel = post.channel
    if not channel.account.startswith("https://"):
        raise PublishError(_("El canal no tiene una URL https de webhook."), permanent=True)
    if not settings.MARKETING_SOCIAL_WEBHOOK_SECRET:
        raise PublishError(_("Falta MARKETING_SOCIAL_WEBHOOK_SECRET."), permanent=True)
    body = json.dumps(
        {
            "post_id": post.pk,
            "network": channel.network,
            "channel": channel.name,
            "text": post.text,
            "scheduled_at": post.scheduled_at.isoformat(),
        }
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "X-CourseOps-Signature": sign(
            body, settings.MARKETING_SOCIAL_WEBHOOK_SECRET, int(time.time())
        ),
        "Idempotency-Key": f"courseops-social-post-{post.pk}",
    }
    response = _post(channel.account, user_url=True, content=body, headers=headers)
    _check(response, "webhook")
    try:
        external_id = str(response.json().get("id") or "")
    except (ValueError, AttributeError):
        external_id = ""
    if not external_id:
        raise PublishError(_("El webhook no devolvió el id de la publicación."), permanent=True)
    return external_id


def publish_linkedin(post):
    channel = post.channel
    if not channel.access_token or not channel.account.startswith("urn:li:"):
        raise PublishError(_("Falta el token o el URN de la página de LinkedIn."), permanent=True)
    response = _post(
        f"{settings.MARKETING_LINKEDIN_API_BASE}/rest/posts",
        json={
            "author": channel.account,
            "commentary": post.text,
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        },
        headers={
            "Authorization": f"Bearer {channel.access_token}",
            "LinkedIn-Version": settings.MARKETING_LINKEDIN_VERSION,
            "X-Restli-Protocol-Version": "2.0.0",
        },
    )
    if response.status_code == 401:
        raise PublishError(_("LinkedIn rechazó el token (caducado o revocado)."), permanent=True)
    _check(response, "linkedin")
    urn = unquote(response.headers.get("x-restli-id", ""))
    if not urn:
        raise PublishError(_("LinkedIn no devolvió el id de la publicación."), permanent=True)
    return urn


def graph_url(path):
    return f"{settings.MARKETING_META_API_BASE}/{settings.MARKETING_META_API_VERSION}/{path}"


# Graph error codes: throttled (nothing was posted; try later), and a token that expired,
# was revoked or lacks the page's permission.
GRAPH_THROTTLED = {4, 17, 32, 613}
GRAPH_TOKEN = {102, 190, 200}
_LINK = re.compile(r"https?://[^\s<>\"')]+")


def graph_error(response):
    """The `error` object of a Graph answer, or {}."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return {}
    return error if isinstance(error, dict) else {}


def publish_facebook(post):
    channel = post.channel
    if not channel.access_token or not channel.account.isdigit():
        raise PublishError(_("Falta el token o el id de la página de Facebook."), permanent=True)
    data = {"message": post.text, "access_token": channel.access_token}
    link = _LINK.search(post.text)
    if link:
        data["link"] = link.group(0).rstrip(".,;:!?")
    response = _post(graph_url(f"{channel.account}/feed"), data=data)
    if response.status_code >= 500:
        raise PublishError(
            _("facebook %(status)s: puede haberse publicado; revisar la página.")
            % {"status": response.status_code},
            permanent=False,
            unknown=True,
        )
    error = graph_error(response)
    if response.status_code >= 400 or error:
        code = error.get("code")
        detail = f"facebook {response.status_code} ({code}): {error.get('message', '')[:300]}"
        if code in GRAPH_TOKEN:
            raise PublishError(
                _("Facebook rechazó el token (caducado, revocado o sin permiso). %(detail)s")
                % {"detail": detail},
                permanent=True,
            )
        transient = code in GRAPH_THROTTLED or response.status_code in TRANSIENT
        raise PublishError(detail, permanent=not transient)
    try:
        post_id = str(response.json().get("id") or "")
    except (ValueError, AttributeError):
        post_id = ""
    if not post_id:
        raise PublishError(
            _("Facebook respondió sin el id de la publicación: revisar la página."),
            permanent=True,
            unknown=True,
        )
    return post_id


PROVIDERS = {
    "console": publish_console,
    "webhook": publish_webhook,
    "linkedin": publish_linkedin,
    "facebook": publish_facebook,
}
