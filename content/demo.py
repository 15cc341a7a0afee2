"""Demo content: a course for the demo plans with one published lesson (through the whole
pipeline, offline AI, reviewed by the demo staff, with a short generated video for the
portal's player) and one waiting for review."""

import tempfile
from pathlib import Path

from django.core.files.base import ContentFile

from content.models import Course, Lesson
from content.reviews import lesson_drafts
from content.services import pipeline
from courseops.ai import media
from courseops.core.demo import register
from courseops.reviews.models import DraftStatus
from courseops.reviews.services import apply_draft, approve_draft
from students.models import Plan

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


def demo_vtt(minutes=20):
    cues, every = [], 30
    for number in range(minutes * 60 // every):
        start, end = number * every, number * every + every - 1
        text = TOPICS[number % len(TOPICS)]
        cues.append(
            f"{start // 3600:02d}:{start % 3600 // 60:02d}:{start % 60:02d}.000 --> "
            f"{end // 3600:02d}:{end % 3600 // 60:02d}:{end % 60:02d}.000\n{text}"
        )
    return "WEBVTT\n\n" + "\n\n".join(cues) + "\n"


def demo_video(seconds):
    """A small WebM (a test pattern with a running clock, no sound) made with ffmpeg's
    own generator: VP8 plays in every browser the portal supports."""
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "demo.webm"
        media.run_ffmpeg(
            [
                "-y",
                "-f",
                "lavfi",
                "-i",
                f"testsrc2=size=320x180:rate=10:duration={seconds}",
                "-c:v",
                "libvpx",
                "-b:v",
                "60k",
                "-deadline",
                "realtime",
                "-cpu-used",
                "8",
                str(target),
            ]
        )
        return target.read_bytes()


def _lesson(course, order, title, minutes=20):
    lesson, created = Lesson.objects.get_or_create(
        course=course, order=order, defaults={"title": title}
    )
    if created:
        lesson.subtitles.save(f"demo-{order}.vtt", ContentFile(demo_vtt(minutes).encode()))
    return lesson, created


@register
def load_content_demo(*, staff):
    course, _created = Course.objects.get_or_create(
        slug="ia-aplicada-demo", defaults={"title": "IA aplicada (demo)"}
    )
    course.plans.add(*Plan.objects.filter(slug__in=["premium", "vip"]))
    published, created = _lesson(course, 1, "Embeddings y búsqueda semántica", minutes=3)
    if created:
        job = pipeline.start_job(lesson=published, user=staff)
        pipeline.run_job(job_id=job.pk)
        for draft in lesson_drafts(published).filter(status=DraftStatus.PENDING):
            approve_draft(draft=draft, user=staff)
            apply_draft(draft_id=draft.pk)  # here, not in a worker: the demo is ready at once
        pipeline.run_job(job_id=job.pk)
        # The video comes after the materials (made from the subtitles): it is what the
        # player shows, with those subtitles as its captions.
        published.video.save("demo-1.webm", ContentFile(demo_video(3 * 60)), save=False)
        published.save(update_fields=["video"])  # the job wrote the rest of the row
    waiting, created = _lesson(course, 2, "RAG paso a paso")
    if created:
        job = pipeline.start_job(lesson=waiting, user=staff)
        pipeline.run_job(job_id=job.pk)
