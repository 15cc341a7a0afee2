"""The portal's replay page of a finished webinar: which recording a student may watch
(registered to the webinar, or their plan includes it), what the portal's player plays of
it, the Zoom share link with its passcode, the chapters of the approved summary, and the
share watched, announced to engagement once per milestone (as lessons do)."""

from urllib.parse import urlsplit

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from courseops.core.player import chapters, embed_player, stored_player
from courseops.reviews.models import Draft
from courseops.reviews.sanitize import clean_email_html
from webinars.models import Recording, ReplayProgress, Webinar
from webinars.portal.services import APPROVED, student_registrations
from webinars.services.recordings import has_replay, playable_file
from webinars.services.text import local_when
from webinars.signals import recording_watched

ZOOM_HOST = "zoom.us"
# Shares of the recording (%) announced to engagement, each once per student.
WATCH_MILESTONES = (25, 50, 75, 90)


def replay_for(student, webinar_id):
    """The finished webinar's recording if this student may watch it and it has something
    to show, else None."""
    recording = (
        Recording.objects.select_related("webinar")
        .filter(webinar_id=webinar_id, webinar__status=Webinar.Status.FINISHED)
        .first()
    )
    if recording is None or not has_replay(recording):
        return None
    registered = student_registrations(student).filter(webinar_id=webinar_id).exists()
    entitled = (
        student.plan.includes_live_webinars
        and recording.webinar.plans.filter(pk=student.plan_id).exists()
    )
    return recording if registered or entitled else None


def replay_player(recording):
    """The published video (YouTube/Vimeo), the watch link when it is one of those, else
    the uploaded video file; None when there is nothing to play here (a Zoom share page
    refuses to be framed: it is opened in its own tab)."""
    for url in (recording.video_url, recording.watch_url):
        player = embed_player(url)
        if player:
            return player
    if not playable_file(recording):
        return None
    return stored_player(
        recording.file.storage,
        recording.file.name,
        local_url=reverse("webinars_portal:replay_video", args=[recording.webinar_id]),
    )


def is_zoom_link(url):
    parts = urlsplit(url or "")
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and (host == ZOOM_HOST or host.endswith("." + ZOOM_HOST))


def approved_summary(recording, language):
    """The approved summary draft in `language`, else in the webinar's; None while none
    is approved (drafts waiting for review never reach students)."""
    drafts = Draft.objects.filter(
        kind="webinar_summary",
        content_type=ContentType.objects.get_for_model(Recording),
        object_id=str(recording.pk),
        status__in=APPROVED,
    ).order_by("-decided_at")
    by_language = {}
    for draft in drafts:
        by_language.setdefault((draft.data or {}).get("language"), draft)
    return by_language.get(language) or by_language.get(recording.webinar.language)


def replay_context(recording, student):
    webinar = recording.webinar
    summary = approved_summary(recording, student.language)
    progress = ReplayProgress.objects.filter(recording=recording, student=student).first()
    player = replay_player(recording)
    zoom = is_zoom_link(recording.watch_url)
    return {
        "webinar": webinar,
        "when": local_when(
            webinar.starts_at, time_zone=student.time_zone, language=student.language
        ),
        "recording": recording,
        "player": player,
        "progress": progress,
        "captions": bool(recording.transcript_segments),
        "chapters": chapters((summary.data or {}).get("chapters", []), text="title")
        if summary
        else [],
        "summary_html": clean_email_html(summary.body) if summary else "",
        # Zoom's share page asks for the passcode: it is shown beside the link to copy.
        "zoom_url": recording.watch_url if zoom else "",
        "passcode": recording.watch_passcode if zoom else "",
        # Any other watch link the player cannot show, opened as it is.
        "other_url": recording.watch_url
        if recording.watch_url and not zoom and embed_player(recording.watch_url) is None
        else "",
    }


def record_replay(*, student, recording, position, watched_percent):
    """Keep where the student is in the recording and how much of it they saw. Reports
    repeat and may arrive out of order: the position follows the last one, the watched
    share only goes up, and each milestone reached is announced once."""
    position = max(0, int(position))
    watched_percent = min(100, max(0, int(watched_percent)))
    now = timezone.now()
    with transaction.atomic():
        progress, _created = ReplayProgress.objects.select_for_update().get_or_create(
            recording=recording, student=student
        )
        before = progress.watched_percent
        progress.position_seconds = position
        progress.watched_percent = max(before, watched_percent)
        progress.played_at = now
        progress.save(update_fields=["position_seconds", "watched_percent", "played_at"])
        for milestone in (m for m in WATCH_MILESTONES if before < m <= progress.watched_percent):
            transaction.on_commit(
                lambda milestone=milestone: recording_watched.send(
                    sender=Recording,
                    recording=recording,
                    webinar=recording.webinar,
                    student=student,
                    percent=milestone,
                    at=now,
                )
            )
    return progress
