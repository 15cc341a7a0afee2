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

from courseops.core import http

CHUNK_BYTES = 1024 * 1024
VIDEO_EXTENSIONS = (".mp4", ".mov", ".mkv", ".webm", ".m4v", ".avi", ".mp3", ".m4a", ".wav")


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
    """Staff typed the URL: the HTTP client's guard refuses private and local addresses,
    also after a redirect."""
    timeout = httpx.Timeout(settings.CONTENT_DOWNLOAD_TIMEOUT_SECONDS, connect=10.0)
    try:
        with http.stream(
            "GET", url, timeout=timeout, user_url=True, follow_redirects=True
        ) as response:
            if response.status_code >= 400:
                raise DownloadError(
                    _("La descarga del vídeo respondió %(status)s.")
                    % {"status": response.status_code},
                    permanent=not http.is_transient(response.status_code),
                )
            total = int(response.headers.get("content-length") or 0)
            written = 0
            for chunk in http.iter_capped(response, limit, CHUNK_BYTES):
                written += len(chunk)
                out.write(chunk)
                if on_progress and total:
                    on_progress(100 * written / total)
            return written, response.headers.get("content-type", "")
    except http.ResponseTooLarge as exc:
        raise DownloadError(
            _("El vídeo supera el tamaño máximo permitido."), permanent=True
        ) from exc
    except http.BlockedURL as exc:
        raise DownloadError(
            _("No se descarga el vídeo de esa URL: %(reason)s") % {"reason": exc}, permanent=True
        ) from exc
    except http.HTTPError as exc:
        raise DownloadError(
            _("No se pudo descargar el vídeo: %(error)s") % {"error": exc}, permanent=exc.permanent
        ) from exc
