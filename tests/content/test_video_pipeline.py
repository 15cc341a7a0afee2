"""A generated video through ffmpeg, split around its silence and transcribed part by
part against a fake OpenAI server (the real SDK runs), then summarised and quizzed."""

import json

import pytest
from django.core.files import File

from content.models import JobStep
from content.reviews import lesson_drafts
from content.services import pipeline
from tests.ai.conftest import api_error, chat_completion, whisper
from tests.media import synthetic_video

NOTES = {
    "summary": "La clase explica embeddings y RAG.",
    "key_points": [
        {"seconds": 17, "point": "Un embedding es un vector."},
        {"seconds": 30, "point": "RAG busca antes de responder."},
        {"seconds": 999, "point": "Un minuto que no existe en la clase."},
    ],
}
SUMMARY = {
    "summary": "Resumen de la clase sobre embeddings y RAG.",
    "key_points": NOTES["key_points"],
    "takeaways": ["Los embeddings permiten buscar por significado."],
    "next_steps": ["Prueba una búsqueda semántica con tus documentos."],
}


def _question(text, correct=(True, False, False)):
    return {
        "question": text,
        "options": [
            {"text": f"Opción {i} de {text}", "correct": flag} for i, flag in enumerate(correct)
        ],
        "explanation": "Se explica en el minuto 00:17.",
    }


QUIZ = {
    "questions": [
        _question("¿Qué es un embedding?"),
        _question("¿Qué hace RAG?", correct=(True, True, False)),  # two right answers
        _question("¿Qué se busca?", correct=(False, False, True)),
    ]
}


@pytest.fixture
def video_lesson(make_lesson, tmp_path, settings):
    # Parts of 12 s at most (the 25 MB limit, scaled down), overlapping 2 s; a 12 s
    # break counts as silence.
    settings.AI_AUDIO_PART_MAX_BYTES = 53_334
    settings.AI_AUDIO_OVERLAP_SECONDS = 2
    path = synthetic_video(tmp_path / "clase.mp4", [("tone", 4), ("silence", 12), ("tone", 30)])
    lesson = make_lesson()
    with path.open("rb") as fh:
        lesson.video.save("clase.mp4", File(fh))
    return lesson


def test_video_is_split_around_silence_transcribed_joined_and_summarised(
    fake_openai, video_lesson, django_capture_on_commit_callbacks
):
    fake_openai.reply(
        whisper(4, (0, 4, "Hola a todos.")),
        # 16-28 s, then 26-38 s and 36-46 s: each window repeats the 2 s before it.
        whisper(12, (0, 5, "Un embedding es un vector."), (5, 12, "Sirve para buscar.")),
        whisper(12, (0, 2, "Sirve para buscar."), (2, 12, "RAG busca antes de responder.")),
        whisper(10, (0, 2, "RAG busca antes de responder."), (2, 10, "Y luego genera.")),
        chat_completion(json.dumps(NOTES)),
        chat_completion(json.dumps(SUMMARY)),
        chat_completion(json.dumps(QUIZ)),
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = pipeline.start_job(lesson=video_lesson)

    steps = {s.name: s for s in job.steps.all()}
    assert steps["review"].status == JobStep.Status.WAITING, steps
    audio = steps["audio"].output
    assert [(p["start"], p["end"]) for p in audio["parts"]] == [
        (0, 4),
        (16, 28),
        (26, 38),
        (36, 46),
    ]
    assert audio["silent_seconds"] == pytest.approx(12, abs=0.5)

    uploads = [r for r in fake_openai.requests if r["path"] == "/v1/audio/transcriptions"]
    assert [u["body"]["files"]["file"] for u in uploads] == [
        "part-001.mp3",
        "part-002.mp3",
        "part-003.mp3",
        "part-004.mp3",
    ]
    video_lesson.refresh_from_db()
    assert video_lesson.transcript == [
        {"start": 0, "end": 4, "text": "Hola a todos."},
        {"start": 16, "end": 21, "text": "Un embedding es un vector."},
        {"start": 21, "end": 28, "text": "Sirve para buscar."},
        {"start": 28, "end": 38, "text": "RAG busca antes de responder."},
        {"start": 38, "end": 46, "text": "Y luego genera."},
    ]
    assert steps["transcribe"].cost_usd > 0
    assert steps["notes"].cost_usd > 0

    chats = [r["body"] for r in fake_openai.requests if r["path"] == "/v1/chat/completions"]
    assert chats[0]["response_format"]["json_schema"]["name"] == "lesson_notes"
    assert "[00:16] Un embedding es un vector." in chats[0]["messages"][-1]["content"]
    assert "Español" in chats[0]["messages"][-1]["content"]

    summary = steps["summary"].output
    # The key point cited at 999 s is outside the 46 s lesson: dropped, not invented.
    assert summary["key_points"] == [
        {"seconds": 16, "point": "Un embedding es un vector."},
        {"seconds": 28, "point": "RAG busca antes de responder."},
    ]
    quiz = steps["quiz"].output["questions"]
    assert [q["question"] for q in quiz] == ["¿Qué es un embedding?", "¿Qué se busca?"]
    assert "pregunta 2 descartada" in steps["quiz"].log

    drafts = {d.kind: d for d in lesson_drafts(video_lesson)}
    assert drafts["lesson_quiz"].data == {"questions": quiz}
    assert drafts["lesson_summary"].data["summary"] == SUMMARY["summary"]
    # Each draft names the ledger row of the call that wrote it (its prompt version).
    assert drafts["lesson_quiz"].ai_usage.prompt_name == "lesson_quiz"
    assert drafts["lesson_summary"].ai_usage.prompt_name == "lesson_summary"
    assert drafts["lesson_summary"].ai_usage.prompt_version


def test_parts_transcribed_before_a_failure_are_not_sent_again(
    fake_openai, video_lesson, settings, django_capture_on_commit_callbacks
):
    settings.AI_MAX_ATTEMPTS = 1
    fake_openai.reply(
        whisper(4, (0, 4, "Hola a todos.")),
        whisper(12, (0, 12, "Un embedding es un vector.")),
        api_error(503, code=None, message="overloaded"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = pipeline.start_job(lesson=video_lesson)
    step = job.steps.get(name="transcribe")
    assert step.status == JobStep.Status.FAILED
    assert len(step.output["checkpoint"]) == 2
    paid = step.cost_usd
    assert paid > 0

    fake_openai.requests.clear()
    fake_openai.reply(
        whisper(12, (2, 12, "RAG busca antes de responder.")),
        whisper(10, (2, 10, "Y luego genera.")),
        chat_completion(json.dumps(NOTES)),
        chat_completion(json.dumps(SUMMARY)),
        chat_completion(json.dumps(QUIZ)),
    )
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.resume_job(job=job)

    uploads = [r for r in fake_openai.requests if r["path"] == "/v1/audio/transcriptions"]
    assert [u["body"]["files"]["file"] for u in uploads] == ["part-003.mp3", "part-004.mp3"]
    step.refresh_from_db()
    assert step.status == JobStep.Status.DONE
    assert step.cost_usd > paid
    video_lesson.refresh_from_db()
    assert [s["text"] for s in video_lesson.transcript] == [
        "Hola a todos.",
        "Un embedding es un vector.",
        "RAG busca antes de responder.",
        "Y luego genera.",
    ]


def test_re_running_the_audio_step_transcribes_the_new_parts_again(
    fake_openai, video_lesson, settings, django_capture_on_commit_callbacks
):
    settings.AI_MAX_ATTEMPTS = 1
    fake_openai.reply(
        whisper(4, (0, 4, "Hola a todos.")),
        api_error(503, code=None, message="overloaded"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = pipeline.start_job(lesson=video_lesson)
    assert job.steps.get(name="transcribe").output["checkpoint"]

    fake_openai.requests.clear()
    fake_openai.reply(api_error(503, code=None, message="still down"))
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.rerun_step(step=job.steps.get(name="audio"))
    uploads = [r for r in fake_openai.requests if r["path"] == "/v1/audio/transcriptions"]
    assert [u["body"]["files"]["file"] for u in uploads] == ["part-001.mp3"]
