"""Recording -> transcript -> executive summary draft (review kind `webinar_summary`) ->
on approval, follow-up emails: attendees get the recording and the summary, absentees a
"te lo perdiste" with the recording. Each registrant gets one follow-up, ever: the outbox
key is per registration, whatever draft, retry or attendance change comes later."""

import hashlib
import json

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from courseops.ai import AIError, generate, transcripts
from courseops.audit.services import log_action
from courseops.core import pending
from courseops.messaging.services import queue_email
from courseops.reviews.models import Draft, DraftStatus
from courseops.reviews.registry import ApplyError
from courseops.reviews.sanitize import clean_email_html, email_text
from courseops.reviews.services import create_draft
from students.models import Student
from students.portal.services import ALLOWED_STATUSES
from webinars.automations import FOLLOWUPS
from webinars.meetings import MeetingError
from webinars.models import Recording, Registration, Webinar
from webinars.services import owed
from webinars.services.attendance import attendance_settle
from webinars.services.text import local_when, registrant_context
from webinars.services.transcripts import (
    transcribe_recording,
    transcription_claim,
    transcription_release,
)
from webinars.services.video import video_draft

# What the summary prompt reads of a long transcript (about two hours of speech).
TRANSCRIPT_CHARS = 60_000
# Chapters of the offline draft: this many lines of the transcript, evenly spread.
OFFLINE_CHAPTERS = 5
CHAPTER_TITLE_CHARS = 60
# What a browser's <video> plays (a .mov or .mkv upload is only transcribed).
PLAYABLE = (".mp4", ".m4v", ".webm")


def playable_file(recording):
    return bool(recording.file) and recording.file.name.lower().endswith(PLAYABLE)


def has_replay(recording):
    """Whether the portal's replay page has something to show: a video to play or a link
    to open."""
    return bool(recording.watch_url or recording.video_url or playable_file(recording))


def replay_url(webinar):
    """The replay page's absolute address (students sign in to the portal to see it)."""
    return f"{settings.SITE_URL}{reverse('webinars_portal:replay', args=[webinar.pk])}"


def _zoom_watch_url(meeting):
    if meeting.get("share_url"):
        return meeting["share_url"]
    for item in meeting.get("recording_files", []):
        if item.get("file_type") == "MP4" and item.get("play_url"):
            return item["play_url"]
    return ""


def _zoom_passcode(meeting):
    # Without it a share link opens on a passcode prompt the registrant cannot answer.
    return str(meeting.get("recording_play_passcode") or meeting.get("password") or "")[:100]


def recording_from_zoom(*, webinar, meeting, download_token=""):
    """Zoom's `recording.completed` object (or the recordings API answer). A repeat keeps
    the first one, except a fresher download token while no transcript exists yet."""
    with transaction.atomic():
        recording, created = Recording.objects.select_for_update().get_or_create(
            webinar=webinar,
            defaults={
                "source": Recording.Source.ZOOM,
                "watch_url": _zoom_watch_url(meeting)[:1000],
                "watch_passcode": _zoom_passcode(meeting),
                "zoom_files": meeting.get("recording_files", []),
                "zoom_download_token": download_token or "",
            },
        )
        if created:
            log_action(webinar, "webinars.recording.received", data={"source": "zoom"})
            owed.processing_owed(recording.pk)
        elif recording.source == Recording.Source.ZOOM and not recording.transcript:
            recording.zoom_files = meeting.get("recording_files", []) or recording.zoom_files
            recording.zoom_download_token = download_token or recording.zoom_download_token
            recording.save(update_fields=["zoom_files", "zoom_download_token", "updated_at"])
    return recording


def recording_upload(*, webinar, file=None, watch_url="", user=None):
    """Staff give the recording: a watch link and/or a file (video, audio or VTT/SRT) to
    transcribe. A new file starts the transcript and summary over. A webinar that has not
    taken place yet (or was cancelled) has no recording."""
    started = webinar.status in (Webinar.Status.LIVE, Webinar.Status.FINISHED)
    if webinar.status == Webinar.Status.CANCELLED or not (
        started or webinar.starts_at <= timezone.now()
    ):
        raise ValidationError(
            _(
                "Este webinar aún no se ha celebrado (empieza el %(when)s): sube la grabación "
                "cuando termine."
            )
            % {"when": local_when(webinar.starts_at, time_zone=webinar.time_zone)}
            if webinar.status != Webinar.Status.CANCELLED
            else _("Este webinar se canceló: no tiene grabación.")
        )
    with transaction.atomic():
        recording, created = Recording.objects.select_for_update().get_or_create(
            webinar=webinar, defaults={"source": Recording.Source.UPLOAD}
        )
        if watch_url:
            recording.watch_url = watch_url
        if file is not None:
            recording.source = Recording.Source.UPLOAD
            recording.file = file
            recording.transcript, recording.transcript_segments = "", []
            recording.transcript_parts = {}
            recording.status, recording.error = Recording.Status.RECEIVED, ""
        recording.save()
        log_action(
            webinar,
            "webinars.recording.uploaded",
            user=user,
            data={"file": recording.file.name if file is not None else "", "url": watch_url},
        )
        if file is not None:
            owed.processing_owed(recording.pk)
    return recording


def _fail(recording, error):
    Recording.objects.filter(pk=recording.pk).update(
        status=Recording.Status.FAILED, error=str(error)[:2000]
    )


def recording_process(*, recording, final_attempt=True):
    """Transcript (if missing), then the video and summary drafts (if none yet), so both
    read the transcript. Transient errors are re-raised for the task to retry; permanent
    ones mark the recording failed (its video is still drafted, from the webinar alone).
    A task finding the transcription claimed by another (a duplicate delivery) does
    nothing: the claimer drafts what follows, and clears the recording's mark."""
    seen = recording.process_due_since
    try:
        if not recording.transcript and not _transcribe(recording):
            return None
        video_draft(recording=recording)  # a video file: its title/description for review
        summary = summary_draft(recording=recording)
    except (AIError, MeetingError) as exc:
        if not exc.permanent and not final_attempt:
            raise
        _fail(recording, exc)
        video_draft(recording=recording)
        summary = None
    pending.done(recording, "process_due_since", seen)
    return summary


def _transcribe(recording):
    """Transcribe and save under the claim; False when another task holds it."""
    claim = transcription_claim(recording)
    if claim is None:
        return False
    try:
        result = transcribe_recording(recording)
    finally:
        transcription_release(recording, claim)
    recording.transcript, recording.transcript_segments = result.text, result.segments
    recording.transcript_parts = {}
    recording.status, recording.error = Recording.Status.TRANSCRIBED, ""
    recording.save(
        update_fields=["transcript", "transcript_segments", "transcript_parts", "status", "error"]
    )
    log_action(
        recording.webinar, "webinars.recording.transcribed", data={"offline": result.offline}
    )
    return True


def _summary_drafts(recording):
    return Draft.objects.filter(
        kind="webinar_summary",
        content_type=ContentType.objects.get_for_model(Recording),
        object_id=str(recording.pk),
    )


def _languages(webinar):
    """The webinar's language, then its active registrants' other languages."""
    languages = set(
        webinar.registrations.filter(cancelled_at__isnull=True)
        .values_list("language", flat=True)
        .distinct()
    )
    return [webinar.language, *sorted(languages - {webinar.language})]


def _draft_language(draft, webinar):
    return (draft.data or {}).get("language", webinar.language)


def summary_draft(*, recording):
    """The executive summary drafted once per language of the webinar and its registrants
    (while one is pending or approved), each reviewed on its own: an English registrant's
    follow-up never frames a Spanish summary. Returns the webinar language's draft."""
    webinar = recording.webinar
    existing = {
        _draft_language(draft, webinar): draft
        for draft in _summary_drafts(recording).exclude(
            status__in=(DraftStatus.REJECTED, DraftStatus.WITHDRAWN)
        )
    }
    created = False
    for language in _languages(webinar):
        if language in existing:
            continue
        created = True
        result = generate(
            "webinar_summary",
            _summary_context(recording),
            language=language,
            requested_by="webinars.summary",
        )
        existing[language] = create_draft(
            kind="webinar_summary",
            target=recording,
            subject=result.data["subject"],
            body=result.data["summary_html"],
            # The chapters are reviewed with the text (staff see and edit them here): the
            # replay page shows only an approved draft's.
            data={
                "language": language,
                "chapters": grounded_chapters(
                    result.data["chapters"], recording.transcript_segments
                ),
            },
            # Which transcript the summary tells: its "still true?" check compares it.
            context={"transcript_sha": _transcript_sha(recording)},
            ai_result=result,
        )
    if created:
        Recording.objects.filter(pk=recording.pk).update(status=Recording.Status.SUMMARY_PENDING)
    return existing[webinar.language]


def _summary_context(recording):
    """The prompt reads the transcript with its times (so it can place chapters) when the
    recording has segments, else as plain text (then it has no chapters)."""
    webinar, segments = recording.webinar, recording.transcript_segments
    timed = transcripts.timed_lines(segments) if segments else recording.transcript
    spread = segments
    if len(segments) > OFFLINE_CHAPTERS:
        last = len(segments) - 1
        spread = [
            segments[round(i * last / (OFFLINE_CHAPTERS - 1))] for i in range(OFFLINE_CHAPTERS)
        ]
    return {
        "title": webinar.title,
        "description": webinar.description,
        "transcript": timed[:TRANSCRIPT_CHARS],
        "draft": {
            "excerpt": recording.transcript[:TRANSCRIPT_CHARS],
            "chapters": json.dumps(
                [{"seconds": int(s["start"]), "title": _chapter_title(s["text"])} for s in spread],
                ensure_ascii=False,
            ),
        },
    }


def _chapter_title(text):
    text = " ".join(str(text).split())
    if len(text) <= CHAPTER_TITLE_CHARS:
        return text
    return text[: CHAPTER_TITLE_CHARS - 1].rsplit(" ", 1)[0] + "…"


def grounded_chapters(chapters, segments):
    """The chapters that fall inside the recording, in time order, one per second: a
    model's time past the end (or any time, without segments to check it) is dropped."""
    end = transcripts.duration(segments)
    kept = {}
    for chapter in chapters:
        seconds, title = chapter.get("seconds"), _chapter_title(chapter.get("title", ""))
        if isinstance(seconds, int | float) and 0 <= seconds <= end and title:
            kept.setdefault(int(seconds), title)
    return [{"seconds": seconds, "title": title} for seconds, title in sorted(kept.items())]


def _transcript_sha(recording):
    return hashlib.sha256(recording.transcript.encode()).hexdigest()[:16]


def summary_still_true(draft):
    """The follow-ups tell every registrant what the webinar said: not once the webinar
    was cancelled, nor from a transcript that has been replaced since the draft."""
    recording = draft.target
    if not isinstance(recording, Recording):
        return ""
    if recording.webinar.status == recording.webinar.Status.CANCELLED:
        return _("el webinar se canceló.")
    drafted_from = (draft.context or {}).get("transcript_sha")
    if drafted_from and drafted_from != _transcript_sha(recording):
        return _("la transcripción cambió después del borrador: pide un resumen nuevo.")
    return ""


FOLLOWUP_KEY = "webinars.followup."


def followup_still_true(message):
    """The outbox's send check for follow-ups: not sent to a registration cancelled
    while it waited (an attendance correction does not drop it: the key allows one
    follow-up per registration, and attendance is settled before they are queued)."""
    if not message.idempotency_key.startswith(FOLLOWUP_KEY):
        return ""
    registration = message.related
    if not isinstance(registration, Registration):
        return ""
    if registration.cancelled_at is not None:
        return _("la inscripción se canceló.")
    return ""


def followups_reviewed(messages):
    """The follow-ups among `messages` whose summary a person approved (its draft, once per
    language, is that text's review): in the review arm they are not held again person by
    person. A summary approved by the rollout alone was read by nobody: its follow-ups
    wait for staff like any other message of the automation."""
    carried = {
        message.pk: (message.context or {}).get("summary_draft")
        for message in messages
        if message.idempotency_key.startswith(FOLLOWUP_KEY)
    }
    if not any(carried.values()):
        return set()
    # Approved, not yet applied: the follow-ups leave while their draft's action runs.
    approved = set(
        Draft.objects.filter(
            pk__in={draft for draft in carried.values() if draft},
            kind="webinar_summary",
            status__in=(DraftStatus.APPROVED, DraftStatus.APPLIED),
            decided_automatically=False,
        ).values_list("pk", flat=True)
    )
    return {pk for pk, draft in carried.items() if draft in approved}


def _followup(registration, *, draft, recording, summary_html, attended, student):
    """A student's follow-up links to the portal's replay page (the player, the chapters
    and any passcode are there); a lead's to the watch link itself, with its passcode.
    It names the summary draft whose text it carries (`followups_reviewed` reads it)."""
    context = registrant_context(registration, webinar=recording.webinar)
    replay = student and has_replay(recording)
    context.update(
        recording_url=replay_url(recording.webinar) if replay else recording.watch_url,
        recording_passcode="" if replay else recording.watch_passcode,
        summary_html=summary_html,
        summary_text=email_text(summary_html),
        summary_draft=draft.pk,
    )
    return queue_email(
        to=registration.email,
        idempotency_key=f"webinars.followup.{registration.pk}",
        template="webinars/followup_attended" if attended else "webinars/followup_missed",
        context=context,
        language=registration.language,
        related=registration,
        automation=FOLLOWUPS,
    )


def summary_apply(draft, user):
    """The review action: close attendance, then one follow-up per active registrant."""
    recording = Recording.objects.select_related("webinar").filter(pk=draft.object_id).first()
    if recording is None:
        raise ApplyError(_("La grabación ya no existe."), permanent=True)
    if not recording.watch_url:
        raise ApplyError(
            _("Falta el enlace para ver la grabación: añádelo y reintenta."), permanent=True
        )
    webinar = recording.webinar
    attendance_settle(webinar=webinar, user=user)
    summary_html = clean_email_html(draft.body)
    sent = {"attended": 0, "missed": 0, "skipped": 0}
    # This draft's language reaches the registrants who read it; the webinar's own also
    # those whose language has no summary drafted (they registered after the drafting).
    language = _draft_language(draft, webinar)
    registrations = webinar.registrations.filter(cancelled_at__isnull=True)
    if language == webinar.language:
        drafted = {
            _draft_language(other, webinar)
            for other in _summary_drafts(recording).exclude(status=DraftStatus.REJECTED)
        }
        registrations = registrations.filter(
            Q(language=language) | ~Q(language__in=drafted - {language})
        )
    else:
        registrations = registrations.filter(language=language)
    registrations = list(registrations)
    # Only a student the portal lets in gets its replay page; the others (inactive,
    # cancelled) get the watch link. Registered as leads with a student's email count as
    # the student's (as the portal does).
    portal_students = Student.objects.filter(status__in=ALLOWED_STATUSES)
    student_ids = set(
        portal_students.filter(
            pk__in=[r.student_id for r in registrations if r.student_id is not None]
        ).values_list("pk", flat=True)
    )
    students = set(
        portal_students.filter(
            email__in=[r.email for r in registrations if r.student_id is None]
        ).values_list("email", flat=True)
    )
    for registration in registrations:
        attended = registration.attended is True
        try:
            _followup(
                registration,
                draft=draft,
                recording=recording,
                summary_html=summary_html,
                attended=attended,
                student=registration.student_id in student_ids
                or (registration.student_id is None and registration.email in students),
            )
        except ValidationError:  # one unusable address does not hold back everyone else
            sent["skipped"] += 1
            continue
        sent["attended" if attended else "missed"] += 1
    Recording.objects.filter(pk=recording.pk).update(status=Recording.Status.FOLLOWUPS_SENT)
    log_action(
        webinar,
        "webinars.recording.followups_queued",
        user=user,
        data={**sent, "language": language},
    )
