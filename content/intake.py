"""Lessons that arrive without staff: files dropped in a watched folder
(`<CONTENT_WATCH_DIR>/<course slug>/<file>`) and "new file" webhooks from storage tools.
Each source is recorded in `Lesson.source_ref`, so announcing a file twice makes one lesson."""

import time
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from content import pipeline
from content.models import Course, Lesson
from content.sources import VIDEO_EXTENSIONS
from courseops.ai.subtitles import SUBTITLE_EXTENSIONS

# A file modified more recently than this may still be being copied: next scan.
SETTLE_SECONDS = 60


class IntakeError(Exception):
    """What was announced cannot become a lesson (unknown course, no file)."""


def _title(name):
    return Path(name).stem.replace("_", " ").replace("-", " ").strip().capitalize()[:200] or "?"


def create_lesson(*, course, source_ref, title, video_url="", upload=None, language=None):
    """The lesson for `source_ref` (created once) with its job started; (lesson, created)."""
    existing = Lesson.objects.filter(course=course, source_ref=source_ref).first()
    if existing is not None:
        return existing, False
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
            if upload is not None:
                name, fh = upload
                field = (
                    lesson.subtitles if name.lower().endswith(SUBTITLE_EXTENSIONS) else lesson.video
                )
                field.save(name, File(fh), save=False)  # copied in chunks
            lesson.save()
            pipeline.start_job(lesson=lesson)
    except IntegrityError:  # another scan or delivery created it first
        return Lesson.objects.get(course=course, source_ref=source_ref), False
    return lesson, True


def scan_folder(root, *, now=None):
    """Import the settled files under `root/<course slug>/`; returns the lessons created."""
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
        for path in sorted((root / slug).iterdir()):
            ref = f"folder:{slug}/{path.name}"
            if (
                ref in known
                or not path.is_file()
                or not path.name.lower().endswith(VIDEO_EXTENSIONS + SUBTITLE_EXTENSIONS)
                or now - path.stat().st_mtime < SETTLE_SECONDS
            ):
                continue
            with path.open("rb") as fh:
                lesson, was_created = create_lesson(
                    course=course, source_ref=ref, title=_title(path.name), upload=(path.name, fh)
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
