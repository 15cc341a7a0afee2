"""The issue's "done when", from an uploaded VTT with the offline AI provider."""

from datetime import timedelta
from io import BytesIO

import pytest
import time_machine
from django.core import mail  # noqa: F401
from django.utils import timezone
from pypdf import PdfReader

from content.models import JobStep
from content.reviews import lesson_drafts
from content.services import pipeline, publishing
from content.signals import lesson_published
from courseops.messaging.models import OutboundMessage
from courseops.reviews.services import approve_draft
from tests.content.conftest import make_vtt

Step = JobStep


def _statuses(job):
    return dict(job.steps.values_list("name", "status"))


@pytest.fixture
def published_signals():
    received = []

    def receiver(sender, lesson, **kwargs):
        received.append(lesson.pk)

    lesson_published.connect(receiver)
    yield received
    lesson_published.disconnect(receiver)


def _approve_all(lesson, staff_user, capture, **edits):
    with capture(execute=True):
        for draft in lesson_drafts(lesson).filter(status="pending"):
            approve_draft(draft=draft, user=staff_user, data=edits.get(draft.kind))


def test_a_vtt_goes_through_every_step_to_a_published_lesson_announced_once(
    make_lesson, students, staff_user, django_capture_on_commit_callbacks, published_signals
):
    lesson = make_lesson(vtt=make_vtt())
    with django_capture_on_commit_callbacks(execute=True):
        job = pipeline.start_job(lesson=lesson, user=staff_user)

    assert _statuses(job) == {
        "source": "skipped",
        "audio": "skipped",
        "transcribe": "done",
        "notes": "done",
        "summary": "done",
        "quiz": "done",
        "review": "waiting",
        "translate": "pending",
        "pdf": "pending",
        "publish": "pending",
        "notify": "pending",
    }
    lesson.refresh_from_db()
    assert len(lesson.transcript) == 24
    assert lesson.published_at is None
    drafts = {d.kind: d for d in lesson_drafts(lesson)}
    assert set(drafts) == {"lesson_summary", "lesson_quiz"}
    # The offline provider's quiz explains each right answer, and staff review it.
    assert all(q["explanation"] for q in drafts["lesson_quiz"].data["questions"])
    assert "Por qué: En el minuto 00:00 se explica: «" in drafts["lesson_quiz"].body

    # Staff correct the summary before approving.
    edited = dict(
        drafts["lesson_summary"].data, summary="Resumen revisado: embeddings, búsqueda y RAG."
    )
    _approve_all(lesson, staff_user, django_capture_on_commit_callbacks, lesson_summary=edited)

    assert set(_statuses(job).values()) <= {"done", "skipped"}
    lesson.refresh_from_db()
    assert lesson.published_at is not None
    assert lesson.materials["summary"] == "Resumen revisado: embeddings, búsqueda y RAG."
    for question in lesson.quiz["questions"]:
        assert sum(o["correct"] for o in question["options"]) == 1
    assert published_signals == [lesson.pk]

    reader = PdfReader(BytesIO(lesson.pdf.read()))
    pages = [page.extract_text() for page in reader.pages]
    text = "\n".join(pages)
    assert "Resumen revisado: embeddings, búsqueda y RAG." in text
    assert "[00:25]" in text  # the transcript with its timestamps
    quiz_page = next(i for i, p in enumerate(pages) if "Cuestionario" in p)
    answers_page = next(i for i, p in enumerate(pages) if "Respuestas" in p)
    assert answers_page > quiz_page
    assert f"2 / {len(pages)}" in pages[1]

    # Announced after the digest window, one email per student of the course, once.
    assert publishing.announce_due() == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        assert publishing.announce_due() == 2
        publishing.announce_due()
    emails = OutboundMessage.objects.filter(idempotency_key__startswith="content.lessons_published")
    assert sorted(emails.values_list("recipient", flat=True)) == [
        "lucia@example.com",
        "mateo@example.com",
    ]
    assert "Embeddings y RAG" in emails.first().subject
