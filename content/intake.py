"""Lessons that arrive without staff: files dropped in a watched folder
(`<CONTENT_WATCH_DIR>/<course slug>/<file>`) and "new file" webhooks from storage tools.
Each source is recorded in `Lesson.source_ref`, so announcing a file twice makes one lesson."""

import contextlib
import time
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from content.models import Course, Lesson
from content.services import pipeline
from content.sources import VIDEO_EXTENSIONS
from courseops.ai.subtitles import SUBTITLE_EXTENSIONS

# A file modified more recently than this may still be being copied: next scan.
SETTLE_SECONDS = 60


class IntakeError(Exception):
    """What was announced cannot become a lesson (unknown course, no file)."""


def _title(name):
    return Path(name).stem.replace("_", " ").replace("-", " ").strip().capitalize()[:200] or "?"


def create_lesson(*, course, source_ref, title, video_url="", upload=None, language=None):
    """The lesson for `source_ref` (created once) with its job started; (lesson, created).
    `upload` is one (name, file) or a list of them: a video and its subtitles."""
    existing = Lesson.objects.filter(course=course, source_ref=source_ref).first()
    if existing is not None:
        return existing, False
    uploads = upload if isinstance(upload, list) else [upload] if upload is not None else []
    try:
        with transaction.atomic():
            order = (course.lessons.aggregate(last=Max("order"))["last"] or 0) + 1
            lesson = Lesson(
                course=course,
                order=order,
                title=title,
                language=language or course.language,
                video_url=video_url,
                source_ref=source_ref,
            )
            for name, fh in uploads:
                field = (
                    lesson.subtitles if name.lower().endswith(SUBTITLE_EXTENSIONS) else lesson.video
                )
                field.save(name, File(fh), save=False)  # copied in chunks
            lesson.save()
            pipeline.start_job(lesson=lesson)
    except IntegrityError:  # another scan or delivery created it first
        return Lesson.objects.get(course=course, source_ref=source_ref), False
    return lesson, True


def _is_video(name):
    return name.lower().endswith(VIDEO_EXTENSIONS)


def _lesson_files(folder):
    """The folder's files grouped into lessons by name: X.mp4 and X.vtt (or X.srt) are one
    lesson, its video and its subtitles; {stem: [paths, the video first]}."""
    groups = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.name.lower().endswith(VIDEO_EXTENSIONS + SUBTITLE_EXTENSIONS):
            groups.setdefault(path.stem.lower(), []).append(path)
    for paths in groups.values():
        paths.sort(key=lambda path: (not _is_video(path.name), path.name))
    return groups


def scan_folder(root, *, now=None):
    """Import the settled files under `root/<course slug>/`; returns the lessons created.
    A video and the subtitles of the same name make one lesson, transcribed from the
    subtitles; a group waits until all its files have settled."""
    root = Path(root)
    if not root.is_dir():
        raise IntakeError(_("La carpeta %(path)s no existe.") % {"path": root})
    now = now or time.time()
    courses = {c.slug: c for c in Course.objects.filter(slug__in=[p.name for p in root.iterdir()])}
    known = set(
        Lesson.objects.filter(
            course__in=courses.values(), source_ref__startswith="folder:"
        ).values_list("source_ref", flat=True)
    )
    created = []
    for slug, course in sorted(courses.items()):
        for paths in _lesson_files(root / slug).values():
            # The lesson is named by its first file (the video): a folder imported before
            # pairing existed keeps its references, so nothing is imported twice.
            refs = [f"folder:{slug}/{path.name}" for path in paths]
            if known.intersection(refs) or any(
                now - path.stat().st_mtime < SETTLE_SECONDS for path in paths
            ):
                continue
            video = next((path for path in paths if _is_video(path.name)), None)
            subtitles = next((path for path in paths if not _is_video(path.name)), None)
            with contextlib.ExitStack() as stack:
                lesson, was_created = create_lesson(
                    course=course,
                    source_ref=refs[0],
                    title=_title(paths[0].name),
                    upload=[
                        (path.name, stack.enter_context(path.open("rb")))
                        for path in (video, subtitles)
                        if path is not None
                    ],
                )
            if was_created:
                created.append(lesson)
    return created


def lesson_from_notification(*, data):
    """A storage tool's "new file" notification: {"course", "url", "title"?, "language"?}."""
    if not isinstance(data, dict):
        raise IntakeError(_("El aviso no trae datos."))
    course = Course.objects.filter(slug=str(data.get("course") or "")).first()
    if course is None:
        raise IntakeError(_("Curso desconocido: %(slug)s") % {"slug": data.get("course")})
    url = str(data.get("url") or "")
    if not url.startswith(("https://", "http://")):
        raise IntakeError(_("El aviso necesita la URL http(s) del archivo."))
    language = data.get("language") if data.get("language") in dict(settings.LANGUAGES) else None
    return create_lesson(
        course=course,
        source_ref=f"url:{url}"[:500],
        title=str(data.get("title") or _title(url.rsplit("/", 1)[-1].split("?")[0]))[:200],
        video_url=url[:500],
        language=language,
    )
