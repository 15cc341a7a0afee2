"""Content pipeline: time per step for a 60-minute lesson, and audio from generated video.

1. A 60-minute lesson from a prepared VTT transcript (720 cues, about 9,000 words), offline
   AI, reviews set to `auto`: every step's time and the total, to a published lesson.
2. Audio of generated videos (ffmpeg lavfi: tone and silence, 64x48 picture) of 2 and 10
   minutes through extract -> silence detection -> parts: time per stage, and the peak
   Python memory (tracemalloc) while it runs, which must not grow with the video's size
   (the video is never read into Python; ffmpeg streams it).
"""

import os
import tempfile
import time
import tracemalloc
from pathlib import Path

from bench.harness import bench_database, setup_django

LESSON_MINUTES = int(os.environ.get("BENCH_CONTENT_MINUTES", 60))
VIDEO_MINUTES = [int(m) for m in os.environ.get("BENCH_CONTENT_VIDEO_MINUTES", "2,10").split(",")]
SENTENCES = [
    "Un modelo de lenguaje predice la siguiente palabra a partir de todo el contexto anterior.",
    "Los embeddings convierten cada texto en un vector que se puede comparar con otros.",
    "La búsqueda semántica encuentra documentos por su significado y no por palabras exactas.",
    "Con RAG primero buscamos los documentos relevantes y después generamos la respuesta.",
    "Un buen prompt da contexto, un ejemplo concreto y el formato de salida que esperamos.",
    "Evaluar con un conjunto fijo de preguntas evita que un cambio empeore las respuestas.",
]


def prepared_vtt(minutes, every=5):
    cues = []
    for number in range(minutes * 60 // every):
        start, end = number * every, number * every + every
        stamp = "{:02d}:{:02d}:{:02d}.000".format
        cues.append(
            f"{stamp(start // 3600, start % 3600 // 60, start % 60)} --> "
            f"{stamp(end // 3600, end % 3600 // 60, end % 60)}\n"
            f"{SENTENCES[number % len(SENTENCES)]} (idea {number + 1})"
        )
    return "WEBVTT\n\n" + "\n\n".join(cues) + "\n"


def lesson_from_transcript(staff):
    from django.core.files.base import ContentFile

    from content.models import Course, Lesson
    from content.services import pipeline
    from courseops.reviews.rollout import set_kind_policy

    for kind in ("lesson_summary", "lesson_quiz"):
        set_kind_policy(kind=kind, mode="auto", user=staff)
    course = Course.objects.create(title="Bench", slug="bench")
    lesson = Lesson(course=course, order=1, title="Clase de 60 minutos")
    lesson.subtitles.save(
        "bench.vtt", ContentFile(prepared_vtt(LESSON_MINUTES).encode()), save=False
    )
    lesson.save()
    started = time.perf_counter()
    job = pipeline.start_job(lesson=lesson)  # eager Celery: runs, drafts auto-approve, resumes
    total = time.perf_counter() - started
    lesson.refresh_from_db()
    print(f"{LESSON_MINUTES}-minute lesson, {len(lesson.transcript)} segments, offline AI:")
    for step in sorted(job.steps.all(), key=lambda s: job.steps.model.ORDER.index(s.name)):
        seconds = "-" if step.seconds is None else f"{step.seconds:.2f} s"
        print(f"  {step.name:<11} {step.status:<8} {seconds}")
    print(f"  total       {total:.2f} s; published: {lesson.published_at is not None}")


def audio_from_video(minutes, folder):
    from courseops.ai import media
    from tests.media import synthetic_video

    half = minutes * 30
    started = time.perf_counter()
    video = synthetic_video(
        folder / f"v{minutes}.mp4", [("tone", half - 20), ("silence", 40), ("tone", half - 20)]
    )
    generated = time.perf_counter() - started
    tracemalloc.start()
    timings = {}
    started = time.perf_counter()
    duration = media.extract_audio(video, folder / f"a{minutes}.mp3")
    timings["extract"] = time.perf_counter() - started
    started = time.perf_counter()
    silent = media.silences(folder / f"a{minutes}.mp3")
    timings["silence"] = time.perf_counter() - started
    started = time.perf_counter()
    # Parts of 2 minutes so the 10-minute video is cut in several, as an hour would be at 25 MB.
    parts = media.speech_parts(duration, silent, max_seconds=120, overlap=5)
    for number, part in enumerate(parts):
        media.cut(folder / f"a{minutes}.mp3", folder / f"a{minutes}-{number}.mp3", part)
    timings["cut"] = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size = video.stat().st_size / 1024 / 1024
    print(
        f"{minutes:>3}-minute video ({size:.1f} MB, made in {generated:.1f} s): "
        + ", ".join(f"{k} {v:.2f} s" for k, v in timings.items())
        + f"; {len(parts)} parts, {sum(e - s for s, e in silent):.0f} s silence left out; "
        f"peak Python memory {peak / 1024:.0f} KiB"
    )


def main():
    setup_django()
    from celery import current_app
    from django.conf import settings
    from django.contrib.auth import get_user_model

    with bench_database(), tempfile.TemporaryDirectory() as tmp:
        settings.MEDIA_ROOT = Path(tmp) / "media"
        current_app.conf.task_always_eager = True
        staff = get_user_model().objects.create_superuser("bench", "bench@example.com", "x")
        lesson_from_transcript(staff)
        for minutes in VIDEO_MINUTES:
            audio_from_video(minutes, Path(tmp))


if __name__ == "__main__":
    main()
