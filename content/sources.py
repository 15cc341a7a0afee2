"""A lesson's video: an admin upload, or a URL streamed to Django's storage in chunks
(never whole in memory, whatever the size)."""

import os
import tempfile
from pathlib import PurePosixPath
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.files import File
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

CHUNK_BYTES = 1024 * 1024
VIDEO_EXTENSIONS = (".mp4", ".mov", ".mkv", ".webm", ".m4v", ".avi", ".mp3", ".m4a", ".wav")
TRANSIENT_STATUSES = {408, 425, 429, 500, 502, 503, 504}


class DownloadError(Exception):
    def __init__(self, message, *, permanent):
        super().__init__(message)
        self.permanent = permanent


def _filename(url, content_type):
    name = PurePosixPath(urlsplit(url).path).name or "video"
    if not name.lower().endswith(VIDEO_EXTENSIONS):
        name += ".mp4" if "video" in (content_type or "") else ".bin"
    return get_valid_filename(name)[-120:]


def download_video(*, lesson, on_progress=None):
    """Stream `lesson.video_url` into `lesson.video`; returns the bytes written."""
    url = lesson.video_url
    if urlsplit(url).scheme not in ("http", "https"):
        raise DownloadError(
            _("La URL del vídeo debe empezar por http:// o https://."), permanent=True
        )
    limit = settings.CONTENT_DOWNLOAD_MAX_BYTES
    handle, path = tempfile.mkstemp(suffix=".download")
    try:
        with os.fdopen(handle, "wb") as out:
            written, content_type = _stream(url, out, limit, on_progress)
        with open(path, "rb") as fh:
            # The storage copies from the open file in chunks too.
            lesson.video.save(_filename(url, content_type), File(fh), save=False)
        lesson.save(update_fields=["video", "updated_at"])
        return written
    finally:
        os.unlink(path)


def _stream(url, out, limit, on_progress):
    timeout = httpx.Timeout(settings.CONTENT_DOWNLOAD_TIMEOUT_SECONDS, connect=10.0)
    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as response:
            if response.status_code >= 400:
                raise DownloadError(
                    _("La descarga del vídeo respondió %(status)s.")
                    % {"status": response.status_code},
                    permanent=response.status_code not in TRANSIENT_STATUSES,
                )
            total = int(response.headers.get("content-length") or 0)
            if total > limit:
                raise DownloadError(
                    _("El vídeo supera el tamaño máximo permitido."), permanent=True
                )
            written = 0
            for chunk in response.iter_bytes(CHUNK_BYTES):
                written += len(chunk)
                if written > limit:
                    raise DownloadError(
                        _("El vídeo supera el tamaño máximo permitido."), permanent=True
                    )
                out.write(chunk)
                if on_progress and total:
                    on_progress(100 * written / total)
            return written, response.headers.get("content-type", "")
    except httpx.HTTPError as exc:
        raise DownloadError(
            _("No se pudo descargar el vídeo: %(error)s") % {"error": exc}, permanent=False
        ) from exc
