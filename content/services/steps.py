"""The content job's steps, in `JobStep.ORDER`. Each takes the job and its `StepRun`,
returns the output kept on its row, and is idempotent: it may run again after a crash or
when staff re-run it. Later steps read earlier steps' outputs from their rows, so a
resumed job never redoes (nor pays again for) a finished step."""

import tempfile
from pathlib import Path

from django.core.files import File
from django.utils.translation import gettext as _

from content import reviews, sources
from content.models import JobStep
from content.services import documents, generation, publishing, translations
from content.services.pipeline import StepFailed, StepSkipped
from content.storage import content_storage
from courseops.ai import AIError, media, transcribe_parts, transcripts
from courseops.ai import transcribe as ai_transcribe
from courseops.ai.gateway import audio_transcription_available
from courseops.ai.providers.offline import cannot_hear_audio


def _output(job, name):
    return JobStep.objects.filter(job=job, name=name).values_list("output", flat=True).first() or {}


def _ai_failed(exc):
    return StepFailed(str(exc), permanent=exc.permanent, retry_after=exc.retry_after)


def source(job, run):
    """The video in storage: uploaded already, or streamed from its URL."""
    lesson = job.lesson
    if lesson.video:
        return {"file": lesson.video.name, "bytes": lesson.video.size}
    if lesson.video_url:
        try:
            written = sources.download_video(lesson=lesson, on_progress=run.progress)
        except sources.DownloadError as exc:
            raise StepFailed(str(exc), permanent=exc.permanent) from exc
        run.log(f"descargados {written} bytes de {lesson.video_url}")
        return {"file": lesson.video.name, "bytes": written, "url": lesson.video_url}
    if lesson.subtitles:
        raise StepSkipped(_("Sin vídeo: se usan los subtítulos subidos."))
    raise StepFailed(_("La lección no tiene vídeo, URL ni subtítulos."), permanent=True)


def audio(job, run):
    """16 kHz mono audio, without its silent stretches, in parts under the upload limit."""
    lesson = job.lesson
    if lesson.subtitles:
        raise StepSkipped(_("La transcripción sale de los subtítulos subidos."))
    if not audio_transcription_available():  # say so now, before cutting audio for nothing
        raise StepFailed(cannot_hear_audio(), permanent=True)
    folder = f"content/audio/{lesson.pk}"
    _clear_folder(folder)
    with tempfile.TemporaryDirectory() as tmp, media.local_copy(lesson.video) as video_path:
        full = Path(tmp) / "audio.mp3"
        try:
            duration = media.extract_audio(video_path, full)
            run.progress(30)
            parts, silent = media.plan_parts(full, duration)
            stored = []
            for number, part in enumerate(parts, start=1):
                piece = media.cut(full, Path(tmp) / f"part-{number:03d}.mp3", part)
                with open(piece, "rb") as fh:
                    name = content_storage().save(f"{folder}/part-{number:03d}.mp3", File(fh))
                stored.append({"file": name, "start": part.start, "end": part.end})
                run.progress(30 + 70 * number / len(parts))
        except media.MediaError as exc:
            raise StepFailed(str(exc), permanent=True) from exc
    silent_seconds = round(sum(end - start for start, end in silent), 1)
    run.log(f"{len(stored)} parte(s); {silent_seconds} s de silencio sin enviar")
    return {"duration": round(duration, 2), "parts": stored, "silent_seconds": silent_seconds}


def _clear_folder(folder):
    """Remove the parts an earlier run left, so new parts keep their plain names."""
    try:
        _dirs, files = content_storage().listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        content_storage().delete(f"{folder}/{name}")


def transcribe(job, run):
    """Timed segments from the uploaded subtitles, or from each audio part, joined; parts
    transcribed by an attempt that then failed are not sent (nor paid for) again."""
    lesson = job.lesson
    try:
        if lesson.subtitles:
            with lesson.subtitles.open("rb") as fh:
                result = ai_transcribe(
                    fh, language=lesson.language, requested_by="content.transcribe"
                )
            run.add_cost(result)
            segments, offline = result.segments, result.offline
        else:
            parts = _output(job, JobStep.Name.AUDIO).get("parts", [])
            if not parts:
                raise StepFailed(
                    _("El audio no tiene partes con voz que transcribir."), permanent=True
                )

            def keep(key, result):
                run.add_cost(result)
                run.save_checkpoint(key, result.segments)
                run.progress(100 * len(run.checkpoint) / len(parts))

            segments = transcribe_parts(
                [(part["file"], part["start"]) for part in parts],
                lambda name: content_storage().open(name, "rb"),
                language=lesson.language,
                requested_by="content.transcribe",
                done=run.checkpoint,
                on_part=keep,
            )
            offline = False
    except AIError as exc:
        raise _ai_failed(exc) from exc
    if not segments:
        raise StepFailed(_("La transcripción salió vacía."), permanent=True)
    lesson.transcript = segments
    lesson.save(update_fields=["transcript", "updated_at"])
    return {
        "segments": len(segments),
        "duration": transcripts.duration(segments),
        "words": len(transcripts.plain_text(segments).split()),
        "offline": offline,
    }


def notes(job, run):
    try:
        parts = generation.lesson_notes(lesson=job.lesson, segments=job.lesson.transcript, run=run)
    except AIError as exc:
        raise _ai_failed(exc) from exc
    return {"parts": parts}


def summary(job, run):
    try:
        return generation.lesson_summary(
            lesson=job.lesson,
            notes=_output(job, JobStep.Name.NOTES)["parts"],
            segments=job.lesson.transcript,
            run=run,
        )
    except AIError as exc:
        raise _ai_failed(exc) from exc
    except generation.QuizInvalid as exc:
        raise StepFailed(str(exc)) from exc


def quiz(job, run):
    try:
        return generation.lesson_quiz(
            lesson=job.lesson, summary=_output(job, JobStep.Name.SUMMARY), run=run
        )
    except AIError as exc:
        raise _ai_failed(exc) from exc
    except generation.QuizInvalid as exc:
        raise StepFailed(str(exc)) from exc


def review(job, run):
    """Drafts for staff (summary and quiz); waits until both are approved and applied."""
    return reviews.await_approval(job=job, run=run)


def translate(job, run):
    """Drafts of the materials in the course's extra languages; waits for their review."""
    try:
        return translations.await_translations(job=job, run=run)
    except AIError as exc:
        raise _ai_failed(exc) from exc


def pdf(job, run):
    return {"files": documents.build_lesson_pdfs(lesson=job.lesson)}


def publish(job, run):
    published = publishing.publish_lesson(lesson=job.lesson)
    return {"published_at": job.lesson.published_at.isoformat(), "newly": published}


def notify(job, run):
    notice = publishing.notice_for(lesson=job.lesson)
    return {"notice": notice.pk}
