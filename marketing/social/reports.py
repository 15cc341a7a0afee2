"""Human clicks on posts' links per post, network, weekday and hour (business time zone),
and the posting slots that drew the most clicks per post."""

import zoneinfo
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.utils import timezone

from marketing.social.models import SocialClick, SocialPost

# Slots with fewer published posts than this are not suggested (one lucky post is noise).
MIN_POSTS_PER_SLOT = 2
LOOKBACK = timedelta(days=90)


def clicks_by_weekday_hour(*, network=None, since=None):
    """[{network, weekday (1 = Monday), hour, clicks}] of human clicks, one query."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    clicks = SocialClick.objects.filter(machine=False)
    if network:
        clicks = clicks.filter(post__channel__network=network)
    if since:
        clicks = clicks.filter(at__gte=since)
    return list(
        clicks.annotate(
            weekday=ExtractIsoWeekDay("at", tzinfo=zone), hour=ExtractHour("at", tzinfo=zone)
        )
        .values("post__channel__network", "weekday", "hour")
        .annotate(clicks=Count("id"))
        .order_by("post__channel__network", "weekday", "hour")
    )


def posts_with_clicks(queryset=None):
    """Posts annotated with their human clicks (`human_clicks`)."""
    queryset = SocialPost.objects.all() if queryset is None else queryset
    return queryset.annotate(human_clicks=Count("clicks", filter=Q(clicks__machine=False)))


def best_slots(*, network, now=None, limit=3):
    """[{weekday, hour, posts, clicks_per_post}] best first: published posts of `network`
    of the last 90 days grouped by the local weekday and hour they went out."""
    now = now or timezone.now()
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    posts = posts_with_clicks(
        SocialPost.objects.filter(
            channel__network=network,
            status=SocialPost.Status.PUBLISHED,
            published_at__gte=now - LOOKBACK,
        )
    ).values_list("scheduled_at", "human_clicks")
    slots = defaultdict(lambda: [0, 0])
    for scheduled_at, clicks in posts:
        local = scheduled_at.astimezone(zone)
        slot = slots[(local.isoweekday(), local.hour)]
        slot[0] += 1
        slot[1] += clicks
    ranked = [
        {
            "weekday": weekday,
            "hour": hour,
            "posts": count,
            "clicks_per_post": round(clicks / count, 1),
        }
        for (weekday, hour), (count, clicks) in slots.items()
        if count >= MIN_POSTS_PER_SLOT
    ]
    ranked.sort(key=lambda row: (-row["clicks_per_post"], row["weekday"], row["hour"]))
    return ranked[:limit]
