"""Due posts are published once, as every claimed row in CourseOps is (courseops.core.
liveness): a post is claimed (scheduled -> publishing) by one conditional UPDATE that
records its holder, so a second worker or a retried task finds nothing to do; it becomes
published only with the network's id. A passing failure that never reached the network
is tried again with backoff.

Neither LinkedIn's Posts API nor Graph's page feed takes an idempotency key, so, as the
outbox does with its provider-call stamp, the post is stamped (`provider_called_at`,
committed) just before the network is called. A worker that dies before the stamp sent
nothing: the sweeper hands its post to another at once. One that dies after it, or a call
that timed out after sending, may have published it: the post is marked *sin confirmar*
for staff to check, never sent again automatically (a duplicate post is worse than a late
one)."""

from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from courseops.audit.services import log_action
from courseops.core.liveness import claim, enqueue_due, free_gone, retry_delay
from marketing.social.models import SocialPost
from marketing.social.providers import PROVIDERS, PublishError

Status = SocialPost.Status
BATCH = 100
MAX_ATTEMPTS = 5
# The longest wait between two attempts (2, 4, 8, 16 minutes before it).
MAX_BACKOFF = timedelta(minutes=30)


def _due(now):
    return SocialPost.objects.filter(status=Status.SCHEDULED, scheduled_at__lte=now).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


def _enqueue_on_commit(pk):
    from marketing.tasks import publish_social_post

    transaction.on_commit(lambda: publish_social_post.delay(pk))


def publish_due(*, now=None):
    """The sweeper: take over the posts of workers that are gone, then queue a publishing
    task for each due post (on commit); how many were queued."""
    now = now or timezone.now()
    publishing = SocialPost.objects.filter(status=Status.PUBLISHING)
    called = Q(provider_called_at__isnull=False)
    free_gone(
        publishing.exclude(called),
        status=Status.SCHEDULED,
        next_attempt_at=None,
        attempts=F("attempts") - 1,  # it never reached the network: not an attempt
        last_error=_("El proceso se detuvo antes de llamar a la red: se publica de nuevo."),
    )
    free_gone(
        publishing.filter(called),
        status=Status.UNKNOWN,
        last_error=_(
            "El proceso se detuvo durante la llamada a la red: puede haberse publicado. "
            "Revisar en la red."
        ),
    )
    return enqueue_due(_due(now), _enqueue_on_commit, order_by="scheduled_at", limit=BATCH)


def _finish(post, status, *, error="", external_id="", now=None, **fields):
    """Record this attempt's outcome, unless the post was claimed again since (a worker
    taken for gone that came back). A post already marked *sin confirmar* still takes
    the outcome: it is the truth staff were missing."""
    post.status, post.last_error = status, error[:2000]
    if external_id:
        fields.update(external_id=external_id[:200], published_at=now)
    recorded = SocialPost.objects.filter(
        pk=post.pk,
        claimed_at=post.claimed_at,
        status__in=(Status.PUBLISHING, Status.UNKNOWN),
    ).update(status=status, last_error=post.last_error, held_by="", **fields)
    if not recorded:
        return
    for name, value in fields.items():
        setattr(post, name, value)
    log_action(
        post,
        f"marketing.social_post.{status}",
        data={"external_id": post.external_id, "error": post.last_error[:300]},
    )


def _stamp_provider_call(post):
    """From now on the post may exist on the network (committed before the call: it is
    what keeps a dead worker's post from being published twice). False if the post is
    no longer this claim's."""
    return bool(
        SocialPost.objects.filter(
            pk=post.pk, status=Status.PUBLISHING, claimed_at=post.claimed_at
        ).update(provider_called_at=timezone.now())
    )


def publish_post(*, post_id, now=None):
    """Publish one due post through its channel's provider, at most once."""
    now = now or timezone.now()
    if not claim(
        _due(now).filter(pk=post_id),
        status=Status.PUBLISHING,
        claimed_at=now,
        provider_called_at=None,
        attempts=F("attempts") + 1,
    ):
        return None
    post = SocialPost.objects.select_related("channel").get(pk=post_id)
    if not _stamp_provider_call(post):
        return None
    try:
        external_id = PROVIDERS[post.channel.provider](post)
    except PublishError as exc:
        if exc.unknown:
            _finish(post, Status.UNKNOWN, error=str(exc))
        elif exc.permanent or post.attempts >= MAX_ATTEMPTS:
            _finish(post, Status.FAILED, error=str(exc), next_attempt_at=None)
        else:  # never reached the network (or it said so): tried again after a wait
            delay = retry_delay(post.attempts, cap=MAX_BACKOFF)
            _finish(post, Status.SCHEDULED, error=str(exc), next_attempt_at=timezone.now() + delay)
        return post
    _finish(post, Status.PUBLISHED, external_id=external_id, now=now, next_attempt_at=None)
    return post
