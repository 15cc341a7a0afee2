"""Opens and clicks from our own signed links. Machine traffic is recorded but flagged:
link scanners fetch every URL within seconds of delivery, privacy proxies open every
message. Only a human click moves a contact's score or a campaign's winner."""

import re
from datetime import timedelta

from django.utils import timezone

from marketing.models import Action, Recipient, TrackingEvent
from marketing.services.scoring import record_action

# Security scanners and preview bots that follow links in mail.
SCANNER_AGENTS = re.compile(
    r"bot|spider|crawl|scan|preview|proofpoint|mimecast|barracuda|safelinks|urldefense|"
    r"python-requests|curl|wget|headless",
    re.IGNORECASE,
)
# Link previews fetched by social networks and messengers when a link is posted or shared.
PREVIEW_AGENTS = re.compile(
    r"facebookexternalhit|facebot|twitterbot|linkedinbot|whatsapp|telegrambot|slackbot|"
    r"discordbot|embedly|skypeuripreview",
    re.IGNORECASE,
)
# Apple Mail Privacy Protection fetches images through a proxy with a bare UA.
PROXY_OPEN_AGENTS = re.compile(r"^Mozilla/5\.0$|GoogleImageProxy|YahooMailProxy", re.IGNORECASE)
# A person cannot open and click this fast after the provider accepted the message.
TOO_FAST = timedelta(seconds=10)


def web_machine_reason(*, user_agent, method, purpose=""):
    """Why a web request (a landing view, a click from a social post) is a machine's, or
    "": crawlers, scanners, link previews, prefetches, HEAD requests."""
    if method == "HEAD":
        return "HEAD request"
    if not user_agent:
        return "no user agent"
    if SCANNER_AGENTS.search(user_agent) or PREVIEW_AGENTS.search(user_agent):
        return "bot user agent"
    if purpose.lower() in ("prefetch", "prerender"):
        return "prefetch"
    return ""


def _machine_reason(*, kind, recipient, user_agent, method, now):
    if method == "HEAD":
        return "HEAD request"
    if not user_agent:
        return "no user agent"
    if SCANNER_AGENTS.search(user_agent):
        return "scanner user agent"
    if kind == TrackingEvent.Kind.OPEN and PROXY_OPEN_AGENTS.search(user_agent):
        return "privacy proxy"
    sent_at = recipient.message.sent_at if recipient.message else None
    if sent_at and now - sent_at < TOO_FAST:
        return "seconds after sending"
    return ""


def record_event(*, recipient_id, kind, url="", user_agent="", method="GET"):
    """Store the event; a human click also counts once for the contact's score and the
    recipient's first click. Returns the event, or None for an unknown recipient."""
    recipient = Recipient.objects.select_related("message", "lead").filter(pk=recipient_id).first()
    if recipient is None:
        return None
    now = timezone.now()
    reason = _machine_reason(
        kind=kind, recipient=recipient, user_agent=user_agent, method=method, now=now
    )
    event = TrackingEvent.objects.create(
        recipient=recipient,
        kind=kind,
        url=url[:1000],
        machine=bool(reason),
        reason=reason,
        user_agent=user_agent[:300],
        at=now,
    )
    if kind == TrackingEvent.Kind.CLICK and not reason:
        Recipient.objects.filter(pk=recipient.pk, clicked_at=None).update(clicked_at=now)
        record_action(
            lead=recipient.lead, action=Action.CLICKED, ref=f"campaign:{recipient.campaign_id}"
        )
    return event
