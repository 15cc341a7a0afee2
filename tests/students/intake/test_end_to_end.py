"""The issue's "done when": each door turns one registration into an active student with
materials, a welcome draft in the review queue and a follow-up ticket."""

import pytest

from courseops.reviews.models import Draft
from courseops.support.models import Ticket
from students.intake.csv_import import import_students
from students.models import Material, Student
from tests.students.intake.typeform_payload import PAYLOAD, deliver


@pytest.fixture
def materials(plans):
    guide = Material.objects.create(title="Guía de inicio", url="https://example.com/guia")
    for plan in plans.values():
        plan.materials.add(guide)
    return [guide]


def assert_fully_onboarded(student):
    student.refresh_from_db()
    assert student.status == Student.Status.ACTIVE
    assert student.materials.count() == 1
    assert Draft.objects.filter(object_id=str(student.pk), kind="welcome_email").count() == 1
    assert Ticket.objects.filter(object_id=str(student.pk)).count() == 1


def test_an_api_registration_ends_as_an_active_student_whose_welcome_waits_for_review(
    api_client, materials, django_capture_on_commit_callbacks
):
    body = {"email": "juan@example.com", "nombre": "Juan Pérez", "plan": "premium"}
    with django_capture_on_commit_callbacks(execute=True):
        first = api_client.post(
            "/api/v1/estudiantes/onboarding",
            body,
            format="json",
            headers={"Idempotency-Key": "j-1"},
        )
    assert first.status_code == 201
    assert_fully_onboarded(Student.objects.get())

    replay = api_client.post(
        "/api/v1/estudiantes/onboarding", body, format="json", headers={"Idempotency-Key": "j-1"}
    )
    assert replay.json() == first.json()  # a replay is the first answer, as Stripe's
    state = api_client.get(first.json()["url_estado"]).json()
    # The welcome draft waits in the review queue: not "completado" yet.
    assert (state["state"], state["state_text"]) == (
        "esperando_revision",
        "Esperando revisión del email de bienvenida",
    )
    # The sign-in page, never the student's personal sign-in link (a credential).
    assert state["platform_access"].endswith("/portal/entrar/")


def test_a_typeform_response_ends_as_an_active_student(
    client, typeform, materials, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, PAYLOAD)
    assert_fully_onboarded(Student.objects.get())


def test_a_csv_row_ends_as_an_active_student(materials, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        import_students(content=b"email,nombre,plan\nana@example.com,Ana,vip\n")
    assert_fully_onboarded(Student.objects.get())


def test_the_onboarding_state_is_completado_once_the_welcome_is_approved_and_sent(
    api_client, staff_user, materials, django_capture_on_commit_callbacks
):
    from courseops.reviews.services import approve_draft

    body = {"email": "eva@example.com", "nombre": "Eva", "plan": "premium"}
    with django_capture_on_commit_callbacks(execute=True):
        created = api_client.post("/api/v1/estudiantes/onboarding", body, format="json").json()
    url = created["url_estado"]
    assert api_client.get(url).json()["state"] == "esperando_revision"

    draft = Draft.objects.get(kind="welcome_email")
    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=draft, user=staff_user)

    english = api_client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()
    assert (english["state"], english["state_text"]) == ("completado", "Completed")
