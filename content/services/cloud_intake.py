"""Lessons from cloud folders (Google Drive, Dropbox). A scan asks the service for what
changed since the folder's saved marker, records each file once (unique on folder + file
id) together with the new marker in one transaction, then makes a lesson of each video
that is ready: with its subtitle file (same name, .vtt/.srt) when one came, or alone once
it has waited `CONTENT_REMOTE_SETTLE_MINUTES`. The lesson's `source_ref` is the video's id
at the service, so a scan repeated after a crash starts the pipeline once."""

import contextlib
import logging
import tempfile
from datetime import timedelta
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from content.cloud import CloudError, get_source
from content.intake import _title, create_lesson
from content.models import RemoteFile, RemoteFolder
from content.sources import VIDEO_EXTENSIONS
from courseops.ai.subtitles import SUBTITLE_EXTENSIONS

logger = logging.getLogger(__name__)


def _is_video(name):
    return name.lower().endswith(VIDEO_EXTENSIONS)


def _is_subtitles(name):
    return name.lower().endswith(SUBTITLE_EXTENSIONS)


def scan_all(*, now=None):
    """Scan every active folder; one folder's failure does not stop the others (each
    scan keeps its own errors)."""
    created = []
    for folder in RemoteFolder.objects.filter(active=True).select_related("course"):
        created += scan_folder(folder=folder, now=now)
    return created


def scan_folder(*, folder, now=None):
    """Record the folder's new files and make the lessons that are ready; returns the
    lessons created. Whatever goes wrong is written on the folder for staff, never raised:
    the scan of the other folders goes on."""
    now = now or timezone.now()
    try:
        return _scan(folder, now)
    except Exception as exc:  # a bug or a database hiccup: shown, tried again next scan
        logger.exception("content.cloud_scan_crashed", extra={"folder": folder.pk})
        _folder_failed(folder, f"{type(exc).__name__}: {exc}", now)
        return []


def _folder_failed(folder, message, now):
    RemoteFolder.objects.filter(pk=folder.pk).update(last_error=message[:2000], last_scanned_at=now)


def _scan(folder, now):
    try:
        source = get_source(folder.provider)
        found, cursor = source.changes(folder=folder.folder, cursor=folder.cursor)
    except (CloudError, ImproperlyConfigured) as exc:
        reset = getattr(exc, "reset", False)
        message = (
            str(exc)
            if isinstance(exc, CloudError)
            else _("Faltan ajustes: %(names)s") % {"names": exc}
        )
        RemoteFolder.objects.filter(pk=folder.pk).update(
            last_error=message, last_scanned_at=now, **({"cursor": ""} if reset else {})
        )
        logger.warning("content.cloud_scan_failed", extra={"folder": folder.pk, "error": message})
        return []
    _record(folder, found, cursor, now)
    return make_lessons(folder=folder, source=source, now=now)


def _record(folder, found, cursor, now):
    wanted = [f for f in found if _is_video(f.name) or _is_subtitles(f.name)]
    with transaction.atomic():
        locked = RemoteFolder.objects.select_for_update().get(pk=folder.pk)
        if locked.cursor != folder.cursor:
            return  # another scan of the same marker finished first and recorded them
        RemoteFile.objects.bulk_create(
            [
                RemoteFile(
                    folder=folder, file_id=f.file_id, name=f.name[:300], size=f.size, seen_at=now
                )
                for f in wanted
            ],
            ignore_conflicts=True,
        )
        locked.cursor = cursor
        locked.last_scanned_at = now
        locked.last_error = ""
        locked.save(update_fields=["cursor", "last_scanned_at", "last_error"])
    folder.cursor = cursor


def make_lessons(*, folder, source, now):
    settle = timedelta(minutes=settings.CONTENT_REMOTE_SETTLE_MINUTES)
    groups = {}
    pending = folder.files.filter(lesson__isnull=True, last_error="").order_by("seen_at", "pk")
    for remote in pending:
        groups.setdefault(PurePosixPath(remote.name).stem.lower(), []).append(remote)
    created = []
    for group in groups.values():
        video = next((f for f in group if _is_video(f.name)), None)
        subtitles = next((f for f in group if _is_subtitles(f.name)), None)
        if video is None:
            continue  # subtitles wait for their video
        if subtitles is None and now - video.seen_at < settle:
            continue  # its subtitles may still be on their way
        lesson = _make_lesson(folder, source, video, subtitles)
        if lesson is not None:
            created.append(lesson)
    return created


class _CappedFile:
    def __init__(self, fh, limit):
        self.fh, self.limit, self.written = fh, limit, 0

    def write(self, data):
        self.written += len(data)
        if self.written > self.limit:
            raise CloudError(_("El archivo supera el tamaño máximo permitido."), permanent=True)
        return self.fh.write(data)


def _make_lesson(folder, source, video, subtitles):
    files = [video] + ([subtitles] if subtitles else [])
    limit = settings.CONTENT_DOWNLOAD_MAX_BYTES
    try:
        with contextlib.ExitStack() as stack:
            uploads = []
            for remote in files:
                if remote.size > limit:
                    raise CloudError(
                        _("El archivo supera el tamaño máximo permitido."), permanent=True
                    )
                fh = stack.enter_context(tempfile.TemporaryFile())
                source.download(file_id=remote.file_id, out=_CappedFile(fh, limit))
                fh.seek(0)
                uploads.append((remote.name, fh))
            lesson, _created = create_lesson(
                course=folder.course,
                source_ref=f"{folder.provider}:{video.file_id}"[:500],
                title=_title(video.name),
                upload=uploads,
            )
    except CloudError as exc:
        if exc.permanent:
            RemoteFile.objects.filter(pk__in=[f.pk for f in files]).update(last_error=str(exc))
        else:  # tried again at the next scan
            RemoteFolder.objects.filter(pk=folder.pk).update(last_error=str(exc))
        return None
    except Exception as exc:  # unexpected: this file waits for the next scan, the others go on
        logger.exception("content.cloud_file_crashed", extra={"file": video.pk})
        message = f"{video.name}: {type(exc).__name__}: {exc}"
        RemoteFolder.objects.filter(pk=folder.pk).update(last_error=message[:2000])
        return None
    RemoteFile.objects.filter(pk__in=[f.pk for f in files]).update(lesson=lesson)
    return lesson if _created else None
