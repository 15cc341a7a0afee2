"""Links in posts go through our signed click redirect (the campaigns' one, with a post
instead of a recipient in the token) with UTM added, so each click is counted per post,
network, weekday and hour."""

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from marketing.services.campaigns import TRACK_SALT
from marketing.services.tracking import web_machine_reason
from marketing.social.models import SocialClick, SocialPost

URL = re.compile(r"https?://[^\s<>\"')]+")


def with_utm(url, post):
    """`url` with our UTM for the post, keeping any UTM the author already set."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    for key, value in (
        ("utm_source", post.channel.network),
        ("utm_medium", "social"),
        ("utm_campaign", "social"),
        ("utm_content", f"post-{post.pk}"),
    ):
        query.setdefault(key, value)
    return urlunsplit(parts._replace(query=urlencode(query)))


def tracked_url(url, post):
    token = signing.dumps({"p": post.pk, "u": with_utm(url, post)}, salt=TRACK_SALT, compress=True)
    return settings.SITE_URL + reverse("marketing:click", args=[token])


def track_links(post):
    """Rewrite the post's links (not ours already) to tracked redirects; saved."""
    own = settings.SITE_URL + reverse("marketing:click", args=["x"])[:-2]

    def replace(match):
        url = match.group(0).rstrip(".,;:!?")
        tail = match.group(0)[len(url) :]
        return (url if url.startswith(own) else tracked_url(url, post)) + tail

    post.text = URL.sub(replace, post.text)
    post.save(update_fields=["text"])
    return post


def record_click(*, post_id, url, user_agent="", method="GET", purpose=""):
    """Store a click on a post's link. Returns it, or None for an unknown post."""
    if not SocialPost.objects.filter(pk=post_id).exists():
        return None
    reason = web_machine_reason(user_agent=user_agent, method=method, purpose=purpose)
    return SocialClick.objects.create(
        post_id=post_id, url=url[:1000], machine=bool(reason), reason=reason, at=timezone.now()
    )
