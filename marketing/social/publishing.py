"""Due posts are published once. A post is claimed (scheduled -> publishing) by one
conditional UPDATE, so a second worker or a retried task finds nothing to do; it becomes
published only with the network's id. When the network may have got the post without our
hearing back (a timeout after sending, a worker killed mid-call) it is marked *sin
confirmar* for staff to check, never sent again automatically: a duplicate post is worse
than a late one."""

from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from courseops.audit.services import log_action
from marketing.social.models import SocialPost
from marketing.social.providers import PROVIDERS, PublishError

BATCH = 100
MAX_ATTEMPTS = 5
# A claim older than this lost its worker (the provider call has a much shorter timeout).
STUCK_AFTER = timedelta(minutes=10)


def publish_due(*, now=None):
    """Queue a publishing task for each due post (on commit); settle lost claims."""
    from marketing.tasks import publish_social_post

    now = now or timezone.now()
    ids = list(
        SocialPost.objects.filter(status=SocialPost.Status.SCHEDULED, scheduled_at__lte=now)
        .order_by("scheduled_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    for pk in ids:
        transaction.on_commit(lambda pk=pk: publish_social_post.delay(pk))
    SocialPost.objects.filter(
        status=SocialPost.Status.PUBLISHING, claimed_at__lt=now - STUCK_AFTER
    ).update(
        status=SocialPost.Status.UNKNOWN,
        last_error="El proceso se interrumpió durante la publicación: revisar en la red.",
    )
    return ids


def _finish(post, status, *, error="", external_id="", now=None):
    post.status, post.last_error = status, error[:2000]
    fields = ["status", "last_error"]
    if external_id:
        post.external_id, post.published_at = external_id[:200], now
        fields += ["external_id", "published_at"]
    post.save(update_fields=fields)
    log_action(
        post,
        f"marketing.social_post.{status}",
        data={"external_id": post.external_id, "error": post.last_error[:300]},
    )


def publish_post(*, post_id, now=None):
    """Publish one due post through its channel's provider, at most once."""
    now = now or timezone.now()
    claimed = SocialPost.objects.filter(
        pk=post_id, status=SocialPost.Status.SCHEDULED, scheduled_at__lte=now
    ).update(status=SocialPost.Status.PUBLISHING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return None
    post = SocialPost.objects.select_related("channel").get(pk=post_id)
    try:
        external_id = PROVIDERS[post.channel.provider](post)
    except PublishError as exc:
        if exc.unknown:
            _finish(post, SocialPost.Status.UNKNOWN, error=str(exc))
        elif exc.permanent or post.attempts >= MAX_ATTEMPTS:
            _finish(post, SocialPost.Status.FAILED, error=str(exc))
        else:  # never reached the network: the next minute's run tries again
            _finish(post, SocialPost.Status.SCHEDULED, error=str(exc))
        return post
    _finish(post, SocialPost.Status.PUBLISHED, external_id=external_id, now=now)
    return post
