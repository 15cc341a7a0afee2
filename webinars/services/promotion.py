"""Promotion of a scheduled webinar: one AI draft (review kind `social_post`) holding a
variant per network in `data["networks"]`. Approving it only marks it approved: the
marketing app picks approved `social_post` drafts up and schedules them."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courseops.ai import generate
from courseops.audit.services import log_action
from courseops.core import pending
from courseops.reviews.models import Draft, DraftStatus
from courseops.reviews.services import create_draft
from webinars.models import Webinar
from webinars.services.text import local_when

NETWORKS = ("linkedin", "x", "instagram", "facebook")


def social_posts_draft(*, webinar):
    """The webinar's social-post draft, drafted once (again only after a rejection); the
    webinar's mark goes unless it was marked again meanwhile."""
    seen = webinar.social_posts_due_since
    draft = _social_posts_draft(webinar)
    pending.done(webinar, "social_posts_due_since", seen)
    return draft


def _live_social_draft(webinar):
    return (
        Draft.objects.filter(
            kind="social_post",
            content_type=ContentType.objects.get_for_model(Webinar),
            object_id=str(webinar.pk),
        )
        .exclude(status=DraftStatus.REJECTED)
        .exclude(data__has_key="superseded")
        .first()
    )


def _social_posts_draft(webinar):
    existing = _live_social_draft(webinar)
    if existing is not None or webinar.status != Webinar.Status.SCHEDULED:
        return existing
    url = f"{settings.SITE_URL}/webinars/{webinar.pk}/"
    result = generate(
        "webinar_social_posts",
        {
            "title": webinar.title,
            "description": webinar.description,
            "when": local_when(
                webinar.starts_at, time_zone=webinar.time_zone, language=webinar.language
            ),
            "duration": webinar.duration_minutes,
            "url": url,
        },
        language=webinar.language,
        requested_by="webinars.promotion",
    )
    networks = {network: result.data[network] for network in NETWORKS}
    with transaction.atomic():
        # Under the webinar's lock, once: a duplicate run (a redelivery, the sweeper) that
        # drafted meanwhile wins.
        Webinar.objects.select_for_update().get(pk=webinar.pk)
        existing = _live_social_draft(webinar)
        if existing is not None:
            return existing
        return create_draft(
            kind="social_post",
            target=webinar,
            subject=webinar.title,
            body="\n\n".join(f"[{network}]\n{text}" for network, text in networks.items()),
            data={"networks": networks, "url": url, "language": webinar.language},
            ai_result=result,
        )


def social_posts_apply(draft, user):
    """Nothing is published here: approval is the marketing app's go-ahead."""
    log_action(
        draft,
        "webinars.social_post.approved",
        user=user,
        data={"networks": sorted((draft.data or {}).get("networks", {}))},
    )


def social_posts_supersede(*, webinar, user=None):
    """The webinar moved: its social-post drafts carry the old date. A pending one is
    rejected (the reason shown to staff) and an approved one marked superseded, so
    marketing schedules neither; the caller drafts again. Returns the drafts' ids."""
    drafts = list(
        Draft.objects.filter(
            kind="social_post",
            content_type=ContentType.objects.get_for_model(Webinar),
            object_id=str(webinar.pk),
        )
        .exclude(status=DraftStatus.REJECTED)
        .exclude(data__has_key="superseded")
    )
    reason = str(_("El webinar cambió de fecha: el texto se redacta de nuevo con la nueva."))
    for draft in drafts:
        if draft.status in (DraftStatus.PENDING, DraftStatus.FAILED):
            draft.status = DraftStatus.REJECTED
            draft.decided_at = timezone.now()
            draft.decision_note = reason
        draft.data = {**(draft.data or {}), "superseded": True}
        draft.save(update_fields=["status", "decided_at", "decision_note", "data", "updated_at"])
        log_action(draft, "webinars.social_post.superseded", user=user, data={"reason": reason})
    return [draft.pk for draft in drafts]
