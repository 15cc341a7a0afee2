"""The recording's transcript: ONE function, so the content app can take it over later.

Sources, in order: an uploaded VTT/SRT or audio file; Zoom's transcript (VTT) file; Zoom's
audio-only (M4A) file. Everything goes through `courseops.ai.transcribe`, which reads
subtitles locally and sends audio to the configured model.
"""

import tempfile
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from courseops.ai import PromptError, transcribe
from webinars.meetings import get_provider

# Zoom's file types, best first: its own transcript, then the lightest audio.
ZOOM_SOURCES = (("TRANSCRIPT", ".vtt"), ("M4A", ".m4a"))


def _zoom_file(recording):
    for file_type, suffix in ZOOM_SOURCES:
        for item in recording.zoom_files:
            if item.get("file_type") == file_type and item.get("download_url"):
                return item["download_url"], suffix
    return None, None


def transcribe_recording(recording):
    """A `TranscriptionResult` for the recording; raises MeetingError (download) or an
    AIError (`PromptError` when there is nothing that can be transcribed)."""
    language = recording.webinar.language
    requested_by = "webinars.recording"
    if recording.file:
        with recording.file.open("rb") as fh:
            return transcribe(fh, language=language, requested_by=requested_by)
    url, suffix = _zoom_file(recording)
    if url is None:
        raise PromptError(_("No hay transcripción ni audio que transcribir en esta grabación."))
    content = get_provider("zoom").download(
        url,
        token=recording.zoom_download_token,
        max_bytes=settings.ZOOM_DOWNLOAD_MAX_MB * 1024 * 1024,
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"zoom-{recording.webinar_id}{suffix}"
        path.write_bytes(content)
        return transcribe(path, language=language, requested_by=requested_by)
