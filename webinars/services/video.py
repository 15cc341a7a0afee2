"""Publishing the recording as a video: an AI title and description, reviewed first
(review kind `webinar_video`); approving it uploads through the configured publisher."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from courseops.ai import generate
from courseops.audit.services import log_action
from courseops.reviews.models import Draft, DraftStatus
from courseops.reviews.registry import ApplyError
from courseops.reviews.services import create_draft
from webinars.models import Recording
from webinars.publishing import PublishError, get_publisher, has_video_file

TRANSCRIPT_CHARS = 4000


def video_draft(*, recording):
    """One title/description draft per recording with a video file (again after a
    rejection); None when there is no video to publish."""
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
    if existing is not None:
        return existing
    webinar = recording.webinar
    result = generate(
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
    return create_draft(
        kind="webinar_video",
        target=recording,
        subject=result.data["title"][:100],
        body=result.data["description"],
        ai_result=result,
    )


def video_apply(draft, user):
    """The review action: upload once (a recording already published is left alone)."""
    recording = Recording.objects.select_related("webinar").filter(pk=draft.object_id).first()
    if recording is None:
        raise ApplyError("La grabación ya no existe.", permanent=True)
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
