"""Demo content: a course for the demo plans with one published lesson (through the whole
pipeline, offline AI, reviewed by the demo staff, with a 30-second generated video, its
captions and chapters for the portal's player) and one waiting for review."""

import functools
import tempfile
from pathlib import Path

from django.core.files.base import ContentFile

from content.models import Course, Lesson
from content.reviews import lesson_drafts
from content.services import pipeline
from courseops.ai import media
from courseops.core.demo import register
from courseops.core.logging import get_logger
from courseops.reviews.models import DraftStatus
from courseops.reviews.services import apply_draft, approve_draft
from students.models import Plan

logger = get_logger(__name__)

TOPICS = [
    "Qué es un modelo de lenguaje y por qué predice la siguiente palabra.",
    "Los embeddings convierten un texto en un vector que se puede comparar.",
    "La búsqueda semántica encuentra documentos por su significado, no por palabras exactas.",
    "RAG combina la búsqueda de documentos con la generación de la respuesta.",
    "Un buen prompt da contexto, un ejemplo y el formato de salida esperado.",
    "La temperatura controla cuánta variedad hay en las respuestas del modelo.",
    "Evaluar con preguntas fijas evita que un cambio empeore las respuestas.",
    "El coste depende de los tokens de entrada y de salida de cada llamada.",
]


def demo_vtt(seconds, every=30):
    """Subtitles of `seconds`, a cue every `every` seconds, each one of the topics."""
    cues = []
    for number in range(seconds // every):
        start, end = number * every, number * every + every - 1
        text = TOPICS[number % len(TOPICS)]
        cues.append(
            f"{start // 3600:02d}:{start % 3600 // 60:02d}:{start % 60:02d}.000 --> "
            f"{end // 3600:02d}:{end % 3600 // 60:02d}:{end % 60:02d}.000\n{text}"
        )
    return "WEBVTT\n\n" + "\n\n".join(cues) + "\n"


# Fonts the title card may be drawn with, the first one present (Debian's, then others).
TITLE_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/Library/Fonts/Arial.ttf",
)
TITLE_SECONDS = 4
DEMO_VIDEO_SECONDS = 30


def _video_args(seconds, card, target):
    return [
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size=640x360:rate=5:duration={seconds}",
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency=440:sample_rate=48000:duration={seconds}",
        *card,
        "-c:v",
        "libvpx",
        "-b:v",
        "40k",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-c:a",
        "libopus",
        "-b:a",
        "24k",
        "-shortest",
        str(target),
    ]


def demo_video(seconds, title=""):
    """A small WebM made with ffmpeg's own generators: a test pattern with a 440 Hz tone
    (VP8 and Opus play in every browser the portal supports), opening on a title card
    when a font is there to draw it with.

    Made once per process for the same arguments and ffmpeg binary (several seconds of
    encoding each time, for the same bytes: the test suite loads the demo dozens of times).
    """
    return _demo_video(seconds, title, media.ffmpeg_exe())


@functools.lru_cache(maxsize=8)
def _demo_video(seconds, title, _ffmpeg):
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "demo.webm"
        font = next((f for f in TITLE_FONTS if Path(f).is_file()), None)
        card = []
        if title and font:
            # A text file, not text=: nothing in the title needs escaping for the filter.
            (Path(folder) / "title.txt").write_text(title, encoding="utf-8")
            shown = f"enable='lt(t,{TITLE_SECONDS})'"
            card = [
                "-vf",
                f"drawbox=color=0x1e3a8a:t=fill:{shown},"
                f"drawtext=fontfile={font}:textfile={folder}/title.txt:fontcolor=white:"
                f"fontsize=26:x=(w-text_w)/2:y=(h-text_h)/2:{shown}",
            ]
        try:
            media.run_ffmpeg(_video_args(seconds, card, target))
        except media.MediaError:
            if not card:
                raise
            # The title card is a nicety (a font the filter cannot read): the video without it.
            media.run_ffmpeg(_video_args(seconds, [], target))
        return target.read_bytes()


def _lesson(course, order, title, vtt):
    lesson, created = Lesson.objects.get_or_create(
        course=course, order=order, defaults={"title": title}
    )
    if created:
        lesson.subtitles.save(f"demo-{order}.vtt", ContentFile(vtt.encode()))
    return lesson, created


def _add_video(lesson):
    """The video comes after the materials (made from the subtitles): it is what the player
    shows, with those subtitles as captions and the key points as chapters. Without a
    working ffmpeg the lesson stays, with its materials and no player."""
    try:
        video = demo_video(DEMO_VIDEO_SECONDS, title=lesson.title)
    except (media.MediaError, RuntimeError, OSError) as exc:  # no binary, codec or font
        logger.warning("content.demo.video_skipped", error=str(exc))
        return
    lesson.video.save(f"demo-{lesson.order}.webm", ContentFile(video), save=False)
    lesson.save(update_fields=["video"])  # the job wrote the rest of the row


@register
def load_content_demo(*, staff):
    course, _created = Course.objects.get_or_create(
        slug="ia-aplicada-demo", defaults={"title": "IA aplicada (demo)"}
    )
    course.plans.add(*Plan.objects.filter(slug__in=["premium", "vip"]))
    published, created = _lesson(
        course,
        1,
        "Embeddings y búsqueda semántica",
        demo_vtt(DEMO_VIDEO_SECONDS, every=5),
    )
    if created:
        job = pipeline.start_job(lesson=published, user=staff)
        pipeline.run_job(job_id=job.pk)
        for draft in lesson_drafts(published).filter(status=DraftStatus.PENDING):
            approve_draft(draft=draft, user=staff)
            apply_draft(draft_id=draft.pk)  # here, not in a worker: the demo is ready at once
        pipeline.run_job(job_id=job.pk)
        _add_video(published)
    waiting, created = _lesson(course, 2, "RAG paso a paso", demo_vtt(20 * 60))
    if created:
        job = pipeline.start_job(lesson=waiting, user=staff)
        pipeline.run_job(job_id=job.pk)
