"""Approved posts into the channels' weekly slots (in the business's time zone), the first
free one after now unless staff chose a time."""

import zoneinfo
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courseops.audit.services import log_action
from courseops.reviews.models import Draft, DraftStatus
from marketing.social.drafts import texts_for, too_long
from marketing.social.links import track_links
from marketing.social.models import SocialChannel, SocialPost

# How far ahead to look for a free slot before giving up on a channel.
HORIZON_DAYS = 28
# Drafts picked up per run of the periodic scan (the rest wait for the next minute), newest
# first, among those approved in the last RECENT days (older ones are past their moment).
SCAN_BATCH = 50
RECENT = timedelta(days=14)


def slot_times(channel, *, after, days=HORIZON_DAYS):
    """The channel's slots after `after`, in order, as aware UTC datetimes."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    local_start = after.astimezone(zone).date()
    for offset in range(days + 1):
        day = local_start + timedelta(days=offset)
        for value in sorted(channel.slots.get(str(day.weekday()), [])):
            hour, minute = (int(part) for part in value.split(":"))
            at = datetime.combine(day, time(hour, minute), tzinfo=zone)
            if at > after:
                yield at.astimezone(zoneinfo.ZoneInfo("UTC"))


def next_free_slot(channel, *, after=None):
    """The first slot after `after` with no post of this channel in it, or None."""
    after = after or timezone.now()
    taken = set(
        SocialPost.objects.filter(
            channel=channel,
            scheduled_at__gt=after,
            scheduled_at__lte=after + timedelta(days=HORIZON_DAYS + 1),
        )
        .exclude(status=SocialPost.Status.FAILED)
        .values_list("scheduled_at", flat=True)
    )
    return next((at for at in slot_times(channel, after=after) if at not in taken), None)


def schedule_post(*, channel, text, draft=None, at=None, user=None):
    """A post on `channel` at `at` (a chosen time) or at its next free slot. Returns the
    post, or None when the channel has no free slot or already has this draft."""
    with transaction.atomic():
        # One scheduler at a time per channel, so two posts never take the same slot.
        SocialChannel.objects.select_for_update().filter(pk=channel.pk).first()
        at = at or next_free_slot(channel)
        if at is None:
            return None
        problem = too_long(channel.network, text)
        try:
            with transaction.atomic():
                post = SocialPost.objects.create(
                    channel=channel,
                    draft=draft,
                    text=text,
                    scheduled_at=at,
                    # Shown to staff to shorten and reschedule; it never takes the slot.
                    status=SocialPost.Status.FAILED if problem else SocialPost.Status.SCHEDULED,
                    last_error=problem,
                )
        except IntegrityError:
            return None
        track_links(post)
        log_action(post, "marketing.social_post.scheduled", user=user, data={"at": at.isoformat()})
    return post


def reschedule_post(*, post, user=None):
    """A failed post (too long, refused by the network) back into its channel's next free
    slot, once its text fits. Returns whether it was rescheduled."""
    if post.status != SocialPost.Status.FAILED or too_long(post.channel.network, post.text):
        return False
    with transaction.atomic():
        SocialChannel.objects.select_for_update().filter(pk=post.channel_id).first()
        at = next_free_slot(post.channel)
        if at is None:
            return False
        post.status, post.scheduled_at, post.last_error = SocialPost.Status.SCHEDULED, at, ""
        post.save(update_fields=["status", "scheduled_at", "last_error"])
        track_links(post)
        log_action(
            post, "marketing.social_post.rescheduled", user=user, data={"at": at.isoformat()}
        )
    return True


def schedule_approved_drafts(*, now=None):
    """Approved `social_post` drafts (the webinars app's, one text per network in
    `data["networks"]`) not yet scheduled: each network's text into each active channel of
    that network. Returns the posts made."""
    channels = list(SocialChannel.objects.filter(active=True))
    if not channels:
        return []
    scheduled = SocialPost.objects.filter(draft__isnull=False).values("draft")
    drafts = (
        Draft.objects.filter(
            kind="social_post",
            status__in=(DraftStatus.APPROVED, DraftStatus.APPLIED),
            decided_at__gte=(now or timezone.now()) - RECENT,
        )
        .exclude(pk__in=scheduled)
        .exclude(data__has_key="superseded")
        .order_by("-decided_at")[:SCAN_BATCH]
    )
    posts = []
    for draft in drafts:
        texts = texts_for(draft)
        for channel in channels:
            text = texts.get(channel.network, "").strip()
            if text:
                post = schedule_post(channel=channel, text=text, draft=draft)
                posts += [post] if post else []
    return posts


def withdraw_posts_of_drafts(*, draft_ids, user=None):
    """Posts of superseded drafts (a webinar moved: the text names the old date) that have
    not gone out are held back as failed, with the reason, for staff; returns how many."""
    posts = list(
        SocialPost.objects.filter(draft_id__in=draft_ids, status=SocialPost.Status.SCHEDULED)
    )
    reason = str(_("El webinar cambió de fecha: esta publicación llevaba la fecha anterior."))
    for post in posts:
        post.status = SocialPost.Status.FAILED
        post.last_error = reason
        post.save(update_fields=["status", "last_error"])
        log_action(post, "marketing.social_post.withdrawn", user=user, data={"reason": reason})
    return len(posts)
