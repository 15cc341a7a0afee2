"""Publishing the recording as a video: an AI title and description, reviewed first
(review kind `webinar_video`); approving it uploads through the configured publisher."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courseops.ai import generate
from courseops.audit.services import log_action
from courseops.reviews.models import Draft, DraftStatus
from courseops.reviews.registry import ApplyError
from courseops.reviews.services import create_draft
from webinars import webhook_events
from webinars.models import Recording
from webinars.publishing import PublishError, get_publisher, has_video_file

TRANSCRIPT_CHARS = 4000


def video_draft(*, recording):
    """One title/description draft per recording with a video file (again after a
    rejection); None when there is no video to publish. A pending draft written before
    the transcript existed is written again from it, unless staff edited it already."""
    if not has_video_file(recording):
        return None
    existing = (
        Draft.objects.filter(
            kind="webinar_video",
            content_type=ContentType.objects.get_for_model(Recording),
            object_id=str(recording.pk),
        )
        .exclude(status=DraftStatus.REJECTED)
        .first()
    )
    if existing is None:
        result = _generate(recording)
        return create_draft(
            kind="webinar_video",
            target=recording,
            subject=result.data["title"][:100],
            body=result.data["description"],
            data={"with_transcript": bool(recording.transcript)},
            ai_result=result,
        )
    if recording.transcript and _drafted_without_transcript(existing):
        return _redraft(existing, recording)
    return existing


def _drafted_without_transcript(draft):
    return (
        draft.status == DraftStatus.PENDING
        and (draft.data or {}).get("with_transcript") is False
        and (draft.subject, draft.body) == (draft.generated_subject, draft.generated_body)
    )


def _redraft(draft, recording):
    result = _generate(recording)
    with transaction.atomic():
        locked = Draft.objects.select_for_update().get(pk=draft.pk)
        if not _drafted_without_transcript(locked):  # decided or edited meanwhile
            return locked
        locked.subject = locked.generated_subject = result.data["title"][:100]
        locked.body = locked.generated_body = result.data["description"]
        locked.data = locked.generated_data = {"with_transcript": True}
        locked.ai_usage, locked.offline = result.usage, result.offline
        locked.save()
        log_action(locked, "webinars.recording.video_redrafted", data={"recording": recording.pk})
    return locked


def _generate(recording):
    webinar = recording.webinar
    return generate(
        "webinar_video",
        {
            "title": webinar.title,
            "description": webinar.description,
            "transcript": recording.transcript[:TRANSCRIPT_CHARS],
            "page_url": f"{settings.SITE_URL}/webinars/calendar.ics",
        },
        language=webinar.language,
        requested_by="webinars.video",
    )


def video_apply(draft, user):
    """The review action: upload once (a recording already published is left alone)."""
    recording = Recording.objects.select_related("webinar").filter(pk=draft.object_id).first()
    if recording is None:
        raise ApplyError(_("La grabación ya no existe."), permanent=True)
    if recording.video_external_id:
        return
    publisher = get_publisher()
    try:
        video = publisher.publish(recording, title=draft.subject, description=draft.body)
    except PublishError as exc:
        raise ApplyError(str(exc), permanent=exc.permanent) from exc
    recording.video_url, recording.video_external_id = video.url, video.external_id
    recording.published_at = timezone.now()
    recording.watch_url = recording.watch_url or video.url
    recording.save(
        update_fields=["video_url", "video_external_id", "published_at", "watch_url", "updated_at"]
    )
    log_action(
        recording.webinar,
        "webinars.recording.published",
        user=user,
        data={"publisher": publisher.name, "url": video.url},
    )
    webhook_events.recording_published(recording)
