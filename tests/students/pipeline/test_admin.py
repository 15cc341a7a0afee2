from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courseops.audit.models import AuditEntry
from courseops.reviews.models import Draft
from students.models import OnboardingStep, Student
from students.onboarding.pipeline import start_onboarding
from students.services import enqueue_due_requests
from tests.conftest import lost_broker

pytestmark = pytest.mark.django_db
Step = OnboardingStep
LIST = "/admin/students/student/"


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def onboarded(make_student, n, django_capture_on_commit_callbacks, start=0):
    students = []
    for i in range(start, start + n):
        with django_capture_on_commit_callbacks(execute=True):
            student = make_student(email=f"s{i}@example.com", full_name=f"Alumno {i}")
            start_onboarding(student=student)
        students.append(student)
    return students


def count_queries(admin_client, url):
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_student_list_loads_in_the_same_number_of_queries_for_2_and_20_students(
    admin_client, make_student, django_capture_on_commit_callbacks
):
    onboarded(make_student, 2, django_capture_on_commit_callbacks)
    small = count_queries(admin_client, LIST)
    onboarded(make_student, 18, django_capture_on_commit_callbacks, start=2)

    assert count_queries(admin_client, LIST) == small
    assert count_queries(admin_client, LIST + "?pipeline=failed") <= small


def test_the_list_shows_where_each_student_is_and_filters_by_step(
    admin_client, make_student, django_capture_on_commit_callbacks
):
    done, failed = onboarded(make_student, 2, django_capture_on_commit_callbacks)
    Student.objects.filter(pk=failed.pk).update(status=Student.Status.ONBOARDING)
    Step.objects.filter(student=failed, name="welcome_email").update(
        status=Step.Status.FAILED, error="AIUnavailable: caído"
    )
    Step.objects.filter(student=failed, name="follow_up").update(status=Step.Status.PENDING)

    page = admin_client.get(LIST).content.decode()
    assert "Completa" in page
    assert "Email de bienvenida: Falló" in page

    by_step = admin_client.get(LIST + "?pipeline=welcome_email").content.decode()
    assert failed.email in by_step
    assert done.email not in by_step
    stuck = admin_client.get(LIST + "?pipeline=stuck").content.decode()
    assert failed.email in stuck
    assert done.email not in stuck
    searched = admin_client.get(LIST + "?q=s1%40example").content.decode()
    assert failed.email in searched
    assert done.email not in searched


def test_the_student_page_shows_steps_drafts_tickets_and_messages(
    admin_client, student, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        start_onboarding(student=student)
    draft = Draft.objects.get()

    page = admin_client.get(f"{LIST}{student.pk}/change/").content.decode()

    assert "Ticket de seguimiento" in page
    assert f"/admin/reviews/draft/{draft.pk}/change/" in page
    assert "Llamada de bienvenida: Lucía Fernández" in page


def test_retrying_a_failed_step_from_the_admin_finishes_the_pipeline(
    admin_client, student, settings, django_capture_on_commit_callbacks
):
    settings.LMS_BACKEND = "thinkific"
    with django_capture_on_commit_callbacks(execute=True):
        start_onboarding(student=student)
    assert Step.objects.get(student=student, name="account").status == Step.Status.FAILED
    settings.LMS_BACKEND = "portal"

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(LIST, {"action": "retry_failed_steps", "_selected_action": [student.pk]})

    student.refresh_from_db()
    assert student.status == Student.Status.ACTIVE
    entry = AuditEntry.objects.get(action="students.onboarding.step_retried")
    assert entry.data == {"step": "account"}
    assert entry.actor.username == "ana"


def test_resending_the_welcome_makes_a_second_draft_only_when_asked(
    admin_client, student, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        start_onboarding(student=student)

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(LIST, {"action": "resend_welcome", "_selected_action": [student.pk]})

    assert Draft.objects.filter(kind="welcome_email").count() == 2
    assert AuditEntry.objects.filter(action="students.welcome.resend_requested").count() == 1


def after_grace():
    return time_machine.travel(timezone.now() + timedelta(minutes=11), tick=False)


def test_a_welcome_resend_asked_while_the_broker_is_down_is_drafted_once_by_the_sweeper(
    admin_client, student, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        start_onboarding(student=student)

    with lost_broker(), django_capture_on_commit_callbacks(execute=True):
        admin_client.post(LIST, {"action": "resend_welcome", "_selected_action": [student.pk]})
    assert Draft.objects.filter(kind="welcome_email").count() == 1
    assert enqueue_due_requests() == 0  # within the grace the task is not presumed lost

    with after_grace():
        assert enqueue_due_requests() == 1
    assert Draft.objects.filter(kind="welcome_email").count() == 2
    assert Student.objects.get().welcome_resend_due_since is None
    with after_grace():
        assert enqueue_due_requests() == 0


def test_a_step_retry_asked_while_the_broker_is_down_is_run_by_the_sweeper(
    admin_client, student, settings, django_capture_on_commit_callbacks
):
    settings.LMS_BACKEND = "thinkific"
    with django_capture_on_commit_callbacks(execute=True):
        start_onboarding(student=student)
    settings.LMS_BACKEND = "portal"

    with lost_broker(), django_capture_on_commit_callbacks(execute=True):
        admin_client.post(LIST, {"action": "retry_failed_steps", "_selected_action": [student.pk]})
    assert Step.objects.get(student=student, name="account").status == Step.Status.FAILED

    with after_grace():
        assert enqueue_due_requests() == 1
    student.refresh_from_db()
    assert student.status == Student.Status.ACTIVE
    assert Step.objects.get(student=student, name="account").retry_due_since is None
    assert AuditEntry.objects.filter(action="students.onboarding.step_retried").count() == 1


def test_deactivating_takes_access_away_and_is_audited(admin_client, student):
    admin_client.post(LIST, {"action": "deactivate", "_selected_action": [student.pk]})
    admin_client.post(LIST, {"action": "deactivate", "_selected_action": [student.pk]})

    student.refresh_from_db()
    assert student.status == Student.Status.INACTIVE
    entry = AuditEntry.objects.get(action="students.student.deactivated")
    assert entry.data == {"from": "onboarding"}


def test_plan_and_material_lists_load(admin_client, plan):
    page = admin_client.get("/admin/students/plan/").content.decode()
    assert "Premium" in page
    page = admin_client.get("/admin/students/material/").content.decode()
    assert "Curso de IA" in page


def test_the_student_page_shows_the_sms_consent_and_the_list_filters_by_it(
    admin_client, make_student
):
    consented = make_student(email="si@example.com", full_name="Acepta Sms")
    Student.objects.filter(pk=consented.pk).update(
        sms_consent_at="2026-11-20T15:00:00Z", sms_consent_text="Acepto recibir SMS de CourseOps."
    )
    make_student(email="no@example.com", full_name="Sin Consentimiento")

    page = admin_client.get(f"{LIST}{consented.pk}/change/").content.decode()
    assert "Consentimiento de SMS" in page
    assert "Acepto recibir SMS de CourseOps." in page
    assert 'name="sms_consent_text"' not in page  # shown, not editable

    accepted = admin_client.get(LIST + "?sms=yes").content.decode()
    refused = admin_client.get(LIST + "?sms=no").content.decode()
    assert "Acepta Sms" in accepted
    assert "Sin Consentimiento" not in accepted
    assert "Sin Consentimiento" in refused
    assert "Acepta Sms" not in refused
