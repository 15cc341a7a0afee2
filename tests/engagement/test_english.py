"""An English-speaking student reads engagement in English: portal pages (with their
refusals), the emails (their subjects too) and the public pages their emails link to."""

import io
from datetime import timedelta

import pytest
import time_machine
from pypdf import PdfReader

from courseops.messaging.models import OutboundMessage
from courseops.reviews.models import Draft
from courseops.reviews.services import approve_draft
from engagement.models import ActivityKind, Assignment, KnowledgeArticle
from engagement.services.activity import Activity, record_activity
from engagement.services.certificates import issue_certificate
from engagement.services.student_digest import send_weekly_progress
from tests.engagement.conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def tom(make_student):
    return make_student(full_name="Tom Hill", email="tom@example.com", language="en")


@pytest.fixture
def assignment(plan):
    return Assignment.objects.create(
        title="Your first prompt", plan=plan, instructions="x", rubric="x", max_score=10,
        due_days_after_enrolment=7,
    )  # fmt: skip


def test_an_english_student_reads_the_progress_page_and_weekly_email_in_english(
    tom, make_lesson, client, portal_sign_in
):
    record_activity(
        Activity(
            student=tom, kind=ActivityKind.LESSON_COMPLETED, occurred_at=NOW - timedelta(hours=1),
            source="portal", external_id="l1", target=make_lesson(),
        )
    )  # fmt: skip
    portal_sign_in(tom)
    with time_machine.travel(NOW, tick=False):
        client.post("/portal/progreso/", {"weekly_email": "on"})
        page = client.get("/portal/progreso/").content.decode()

    assert '<html lang="en">' in page
    assert "<h1>Your progress</h1>" in page
    assert "My progress" in page  # the portal's menu
    assert "1 lesson completed" in page
    assert "Nov. 20, 2026, 11 a.m." in page  # last activity, in the student's zone
    assert "Email me a summary of my progress every Monday" in page
    assert "Tu progreso" not in page

    with time_machine.travel(NOW.replace(day=23, hour=12), tick=False):
        send_weekly_progress()
    message = OutboundMessage.objects.get(recipient=tom.email)
    assert message.subject.startswith("Your study week:")
    assert "See my progress:" in message.text_body


def test_an_english_student_is_refused_and_graded_in_english(
    tom, assignment, client, portal_sign_in, staff_user, django_capture_on_commit_callbacks
):
    portal_sign_in(tom)
    url = f"/portal/tareas/{assignment.pk}/"
    with time_machine.travel(NOW, tick=False):
        empty = client.post(url, {"text": "  "})
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url, {"text": "Act as a lawyer and summarise..."})
    assert empty.status_code == 400
    assert "Write your answer or attach a file." in empty.content.decode()

    draft = Draft.objects.get(kind="assignment_feedback")
    assert draft.subject == "Feedback on your assignment “Your first prompt”"
    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=draft, user=staff_user, data={**draft.data, "score": 8})
    message = OutboundMessage.objects.get(recipient=tom.email)
    assert "has been marked: 8 out of 10." in message.text_body
    with time_machine.travel(NOW, tick=False):
        assert "Score: 8 out of 10" in client.get(url).content.decode()


def test_an_english_question_is_answered_and_voted_on_in_english(
    tom, client, portal_sign_in, staff_user, django_capture_on_commit_callbacks
):
    KnowledgeArticle.objects.create(
        question="How do I download my certificate?",
        answer="Your certificate appears in the portal once you finish the course.",
        language="en",
    )
    portal_sign_in(tom)
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        client.post("/portal/preguntas/", {"text": "Where do I download my certificate?"})
    draft = Draft.objects.get(kind="faq_answer")
    assert draft.subject == "Answer to your question"
    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=draft, user=staff_user)

    message = OutboundMessage.objects.get(recipient=tom.email)
    assert "Did this answer help?" in message.text_body
    yes_link = message.text_body.split("Yes: ")[1].split()[0]
    page = client.get(yes_link.removeprefix("http://127.0.0.1:8000")).content.decode()
    assert "Yes, it helped" in page
    assert "Thank you for your feedback!" in client.post(yes_link).content.decode()


def test_an_english_students_certificate_and_its_verification_page_are_in_english(
    tom, client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(NOW, tick=False):
        certificate = issue_certificate(student=tom)

    text = PdfReader(io.BytesIO(certificate.pdf.read())).pages[0].extract_text()
    assert "Certificate of completion" in text
    assert "Nov. 20, 2026" in text
    page = client.get(f"/certificados/{certificate.code}/").content.decode()
    assert "Tom Hill completed the Pro course on Nov. 20, 2026." in page
