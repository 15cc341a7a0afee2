from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from courseops.messaging.models import OutboundMessage
from courseops.reviews.models import Draft
from courseops.reviews.services import approve_draft
from engagement.models import ActivityEvent, Assignment, Submission
from engagement.services.progress import progress_for
from students.portal.services import sign_in_link
from tests.engagement.conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def assignment(plan):
    return Assignment.objects.create(
        title="Tu primer prompt",
        plan=plan,
        instructions="Escribe un prompt para resumir un contrato.",
        rubric="Claridad (5), contexto (5).",
        max_score=10,
        due_days_after_enrolment=7,
    )


@pytest.fixture
def signed_in(student, client):
    with time_machine.travel(NOW - timedelta(days=10)):
        student.activated_at = NOW - timedelta(days=10)
        student.save()
        client.post(sign_in_link(student=student).removeprefix("http://127.0.0.1:8000"))
    return client


def test_a_late_portal_submission_gets_an_ai_draft_and_approval_emails_the_grade_once(
    signed_in, student, assignment, staff_user, django_capture_on_commit_callbacks
):
    url = f"/portal/tareas/{assignment.pk}/"
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(url, {"text": "Actúa como abogado y resume..."})

    assert response.status_code == 302
    submission = Submission.objects.get()
    assert (submission.late, submission.status) == (True, "feedback_drafted")
    assert ActivityEvent.objects.filter(kind="assignment_submitted", student=student).exists()
    draft = Draft.objects.get(kind="assignment_feedback")
    assert draft.data["score"] == 0  # offline: staff set the score
    assert "Claridad (5), contexto (5)." in draft.body

    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=draft, user=staff_user, data={**draft.data, "score": 8})
    submission.refresh_from_db()
    assert (submission.status, submission.score, submission.graded_by) == (
        "graded",
        8,
        staff_user,
    )
    message = OutboundMessage.objects.get(recipient=student.email)
    assert "8 de 10" in message.text_body
    assert "Hola, Lucía:" in message.text_body
    with time_machine.travel(NOW, tick=False):
        page = signed_in.get(url).content.decode()
    assert "Nota: 8 de 10" in page


def test_a_score_above_the_maximum_fails_the_draft_and_sends_nothing(
    student, assignment, staff_user, django_capture_on_commit_callbacks
):
    from engagement.services.assignments import submit_assignment

    with django_capture_on_commit_callbacks(execute=True):
        submit_assignment(assignment=assignment, student=student, text="respuesta")
    draft = Draft.objects.get(kind="assignment_feedback")
    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=draft, user=staff_user, data={"score": 99})

    draft.refresh_from_db()
    assert draft.status == "failed"
    assert "entre 0 y 10" in draft.last_error
    assert Submission.objects.get().status == "feedback_drafted"
    assert not OutboundMessage.objects.exists()


def test_an_empty_or_second_submission_is_a_form_error(signed_in, assignment):
    url = f"/portal/tareas/{assignment.pk}/"
    upload = SimpleUploadedFile("tarea.txt", b"mi respuesta", content_type="text/plain")
    with time_machine.travel(NOW, tick=False):
        empty = signed_in.post(url, {"text": "  "})
        with_file = signed_in.post(url, {"file": upload})
        again = signed_in.post(url, {"text": "otra vez"})

    assert empty.status_code == 400
    assert "Escribe tu respuesta" in empty.content.decode()
    assert with_file.status_code == 302
    assert again.status_code == 400
    assert Submission.objects.count() == 1
    assert Submission.objects.get().file.name.startswith("engagement/submissions/")


def test_the_api_takes_a_submission_once(api_client, student, assignment):
    url = f"/api/v1/assignments/{assignment.pk}/submissions/"
    first = api_client.post(url, {"student_id": student.pk, "text": "respuesta"}, format="json")
    again = api_client.post(url, {"student_id": student.pk, "text": "otra"}, format="json")
    missing = api_client.post(url, {"student_id": student.pk}, format="json")

    assert first.status_code == 201
    assert again.status_code == 400
    assert again.json()["detail"] == "Ya entregaste esta tarea."
    assert missing.status_code == 400


def test_progress_counts_pending_and_overdue_assignments(student, assignment, plan):
    Assignment.objects.create(
        title="Sin fecha", plan=plan, instructions="x", rubric="x", max_score=5
    )
    student.activated_at = NOW - timedelta(days=10)
    student.save()

    progress = progress_for(student, now=NOW)

    assert (progress.assignments_pending, progress.assignments_overdue) == (2, 1)


def test_the_portal_shows_a_due_time_in_the_students_zone_named_in_words(
    signed_in, student, assignment
):
    student.time_zone = "Europe/Madrid"
    student.save(update_fields=["time_zone"])
    with time_machine.travel(NOW - timedelta(days=9), tick=False):
        listing = signed_in.get("/portal/tareas/").content.decode()
        page = signed_in.get(f"/portal/tareas/{assignment.pk}/").content.decode()

    assert "hora de España (Madrid)" in listing
    assert "hora de España (Madrid)" in page
