"""Quiz rules, map-reduce over long transcripts, the
offline drafts, URL downloads, staff edits in review, and the publish digest."""

from datetime import timedelta

import httpx
import pytest
import respx
import time_machine
from django.utils import timezone

from content import sources
from content.models import JobStep
from content.reviews import lesson_drafts
from content.services import generation, pipeline, publishing
from courseops.ai.models import AIUsage
from courseops.messaging.models import OutboundMessage
from courseops.reviews.models import DraftStatus
from courseops.reviews.services import approve_draft
from tests.content.conftest import make_vtt


def _question(*flags, texts=None):
    texts = texts or [f"Opción {i}" for i in range(len(flags))]
    return {
        "question": "¿Pregunta?",
        "options": [{"text": t, "correct": f} for t, f in zip(texts, flags, strict=True)],
        "explanation": "",
    }


@pytest.mark.parametrize(
    ("question", "problem"),
    [
        (_question(True, True, False), "exactamente una"),
        (_question(False, False), "exactamente una"),
        (_question(True, False, texts=["Igual", "igual "]), "repetidas"),
        (_question(True), "entre 2 y 6"),
        ({"question": " ", "options": []}, "enunciado"),
    ],
)
def test_a_quiz_needs_exactly_one_correct_option_and_no_repeats(question, problem):
    with pytest.raises(generation.QuizInvalid, match=problem):
        generation.validate_quiz({"questions": [question]})
    valid = generation.validate_quiz({"questions": [_question(False, True)]})
    assert generation.score_quiz(valid, {"0": "1"}) == (1, 1)
    assert generation.score_quiz(valid, {"0": "9"}) == (0, 1)


def test_a_long_transcript_is_summarised_part_by_part_then_joined(
    make_lesson, settings, django_capture_on_commit_callbacks
):
    settings.CONTENT_CHUNK_CHARS = 600
    lesson = make_lesson(vtt=make_vtt(cues=40))
    with django_capture_on_commit_callbacks(execute=True):
        job = pipeline.start_job(lesson=lesson)

    parts = job.steps.get(name=JobStep.Name.NOTES).output["parts"]
    assert len(parts) > 3
    notes_calls = AIUsage.objects.filter(prompt_name="lesson_notes")
    assert notes_calls.count() == len(parts)
    assert AIUsage.objects.filter(prompt_name="lesson_summary").count() == 1
    summary = job.steps.get(name=JobStep.Name.SUMMARY).output
    seconds = [p["seconds"] for p in summary["key_points"]]
    assert seconds == sorted(seconds)
    assert seconds[-1] > 600  # key points come from the whole lesson, not its start
    lesson.refresh_from_db()
    starts = {s["start"] for s in lesson.transcript}
    assert set(seconds) <= starts  # each cites the moment a segment starts
    quiz = job.steps.get(name=JobStep.Name.QUIZ).output
    assert len(quiz["questions"]) >= 3
    generation.validate_quiz(quiz)


def test_staff_edits_that_break_the_quiz_fail_the_draft_and_keep_the_lesson_unpublished(
    make_lesson, staff_user, django_capture_on_commit_callbacks
):
    lesson = make_lesson(vtt=make_vtt())
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.start_job(lesson=lesson)
    quiz_draft = lesson_drafts(lesson).get(kind="lesson_quiz")
    broken = {"questions": [_question(True, True)]}
    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=quiz_draft, user=staff_user, data=broken)
    quiz_draft.refresh_from_db()
    assert quiz_draft.status == DraftStatus.FAILED
    assert "exactamente una opción correcta" in quiz_draft.last_error
    lesson.refresh_from_db()
    assert lesson.quiz == {}
    assert lesson.published_at is None


@respx.mock
def test_a_video_url_is_streamed_to_storage_in_chunks(make_lesson, settings):
    body = b"\x00\x01" * 1_500_000  # 3 MB, more than one chunk
    respx.get("https://videos.example.com/clase-7.mp4").mock(
        return_value=httpx.Response(200, content=body, headers={"content-type": "video/mp4"})
    )
    lesson = make_lesson(video_url="https://videos.example.com/clase-7.mp4")
    progress = []
    written = sources.download_video(lesson=lesson, on_progress=progress.append)
    lesson.refresh_from_db()
    assert written == len(body)
    assert lesson.video.name.startswith("content/videos/clase-7")
    assert lesson.video.read() == body
    assert len(progress) >= 3


@respx.mock
@pytest.mark.parametrize(("status", "permanent"), [(404, True), (503, False)])
def test_a_failed_download_says_whether_retrying_can_help(make_lesson, status, permanent):
    respx.get("https://videos.example.com/x.mp4").mock(return_value=httpx.Response(status))
    lesson = make_lesson(video_url="https://videos.example.com/x.mp4")
    with pytest.raises(sources.DownloadError) as caught:
        sources.download_video(lesson=lesson)
    assert caught.value.permanent is permanent
    assert not lesson.video


@respx.mock
def test_a_video_over_the_size_limit_is_refused(make_lesson, settings):
    settings.CONTENT_DOWNLOAD_MAX_BYTES = 1000
    respx.get("https://videos.example.com/big.mp4").mock(
        return_value=httpx.Response(200, content=b"x" * 5000)
    )
    lesson = make_lesson(video_url="https://videos.example.com/big.mp4")
    with pytest.raises(sources.DownloadError, match="tamaño máximo"):
        sources.download_video(lesson=lesson)


def test_lessons_published_together_go_out_in_one_digest_per_student(
    make_lesson, students, django_capture_on_commit_callbacks
):
    first, second = make_lesson(order=1, title="Uno"), make_lesson(order=2, title="Dos")
    start = timezone.now()
    for lesson in (first, second):
        publishing.publish_lesson(lesson=lesson)
        publishing.notice_for(lesson=lesson)
    with time_machine.travel(start + timedelta(minutes=61)):
        assert publishing.announce_due() == 2
    third = make_lesson(order=3, title="Tres")
    publishing.publish_lesson(lesson=third)
    publishing.notice_for(lesson=third)
    with time_machine.travel(start + timedelta(minutes=200)):
        assert publishing.announce_due() == 2

    emails = OutboundMessage.objects.order_by("pk")
    assert emails.count() == 4
    digest = emails.filter(recipient="lucia@example.com").first()
    assert "2 lecciones nuevas en IA aplicada" in digest.subject
    assert "Uno" in digest.text_body
    assert "Dos" in digest.text_body
    assert "Nueva lección en IA aplicada: Tres" in emails.last().subject


def test_the_announcement_is_in_each_students_language(make_lesson, students):
    students[1].language = "en"
    students[1].save()
    lesson = make_lesson(title="Embeddings")
    publishing.publish_lesson(lesson=lesson)
    publishing.notice_for(lesson=lesson)
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        publishing.announce_due()
    subjects = dict(OutboundMessage.objects.values_list("recipient", "subject"))
    assert subjects == {
        "lucia@example.com": "Nueva lección en IA aplicada: Embeddings",
        "mateo@example.com": "New lesson in IA aplicada: Embeddings",
    }
