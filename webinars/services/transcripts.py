"""The recording's transcript, from the first source that has one: an uploaded file, then
Zoom's transcript (VTT), its audio-only file (M4A), its video (MP4).

Subtitles (VTT/SRT) are read as they are through `courseops.ai.transcribe`. Audio and video
go through `courseops.ai.transcribe_media`, which leaves out silence and splits a long
recording under the upload limit; each part is kept on the recording as soon as it is
transcribed (`transcript_parts`), so a retry after a failure sends only the rest.
"""

import tempfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from courseops.ai import PromptError, media, subtitles, transcribe, transcribe_media
from webinars.meetings import get_provider
from webinars.models import Recording

REQUESTED_BY = "webinars.recording"
# Zoom's file types, best first: its own transcript, then the lightest audio, the video.
ZOOM_SOURCES = (("TRANSCRIPT", ".vtt"), ("M4A", ".m4a"), ("MP4", ".mp4"))
# Longer than any transcription runs: an older claim is a dead worker's, taken over.
TRANSCRIPTION_CLAIM_TTL = timedelta(hours=3)


def transcription_claim(recording):
    """Claim the transcription of a recording still without one (an atomic UPDATE, so two
    tasks delivered at once cannot both send the parts). Returns the claim, or None when
    another task holds it or the transcript exists already."""
    now = timezone.now()
    claimed = (
        Recording.objects.filter(pk=recording.pk, transcript="")
        .filter(
            Q(transcribing_since__isnull=True)
            | Q(transcribing_since__lt=now - TRANSCRIPTION_CLAIM_TTL)
        )
        .update(transcribing_since=now)
    )
    if not claimed:
        return None
    # Parts another attempt kept meanwhile are not sent again.
    recording.refresh_from_db(fields=["transcript_parts"])
    recording.transcribing_since = now
    return now


def transcription_release(recording, claim):
    """Give the claim back (after a failure, so a retry may run); only our own claim."""
    Recording.objects.filter(pk=recording.pk, transcribing_since=claim).update(
        transcribing_since=None
    )
    recording.transcribing_since = None


def _zoom_file(recording):
    for file_type, suffix in ZOOM_SOURCES:
        for item in recording.zoom_files:
            if item.get("file_type") == file_type and item.get("download_url"):
                return item["download_url"], suffix
    return None, None


def transcribe_recording(recording):
    """A result with `text`, `segments` and `offline`; raises MeetingError (download) or an
    AIError (`PromptError` when there is nothing that can be transcribed, `MediaError`
    for a file ffmpeg cannot read)."""
    if recording.file:
        with media.local_copy(recording.file) as path:
            return _transcribe_file(recording, Path(path))
    url, suffix = _zoom_file(recording)
    if url is None:
        raise PromptError(_("No hay transcripción ni audio que transcribir en esta grabación."))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"zoom-{recording.webinar_id}{suffix}"
        get_provider("zoom").download(
            url,
            path,
            token=recording.zoom_download_token,
            max_bytes=settings.ZOOM_DOWNLOAD_MAX_MB * 1024 * 1024,
        )
        return _transcribe_file(recording, path)


def _transcribe_file(recording, path):
    language = recording.webinar.language
    with path.open("rb") as fh:
        head = fh.read(200)
    if subtitles.is_subtitle_file(path.name, head):
        return transcribe(path, language=language, requested_by=REQUESTED_BY)

    def keep(key, result):
        recording.transcript_parts[key] = result.segments
        Recording.objects.filter(pk=recording.pk).update(
            transcript_parts=recording.transcript_parts
        )

    return transcribe_media(
        path,
        language=language,
        requested_by=REQUESTED_BY,
        done=recording.transcript_parts,
        on_part=keep,
    )
