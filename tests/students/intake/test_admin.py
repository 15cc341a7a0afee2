import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courseops.messaging.models import OutboundMessage
from students.intake.services import register_student
from students.models import IntakeRecord, Student, TypeformForm

LIST_URL = "/admin/students/intakerecord/"


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def make_records(count, student_factory):
    for i in range(count):
        IntakeRecord.objects.create(
            source="api",
            data={"email": f"p{i}@example.com"},
            status=IntakeRecord.Status.ACCEPTED,
            student=student_factory(),
        )


@pytest.mark.parametrize("rows", [2, 20])
def test_the_intake_list_loads_in_the_same_number_of_queries_at_any_size(
    admin_client, student_factory, rows
):
    make_records(rows, student_factory)
    admin_client.get(LIST_URL)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(LIST_URL)
    assert response.status_code == 200
    assert response.content.decode().count("@example.com</a>") == rows
    assert len(queries) == 5  # the sidebar's count of pending drafts per review queue is one


def test_the_list_shows_errors_and_searches_by_submitted_email(admin_client, plans):
    register_student(data={"email": "eva@example.com", "plan": "oro"}, source="api")

    page = admin_client.get(LIST_URL, {"q": "eva@"}).content.decode()

    assert "eva@example.com" in page
    assert "Plan desconocido «oro»" in page


def test_resend_correction_email_queues_a_new_email_for_invalid_records(
    admin_client, plans, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = register_student(
            data={"email": "eva@example.com", "full_name": "Eva", "plan": "oro"}, source="api"
        )
    admin_client.post(
        LIST_URL,
        {"action": "resend_correction_email", "_selected_action": [result.record.pk]},
    )
    assert OutboundMessage.objects.filter(recipient="eva@example.com").count() == 2


def test_the_csv_upload_validates_then_imports(admin_client, plans):
    csv = b"email;nombre;plan\nana@example.com;Ana;basico\nbad@example.com;Bad;oro\n"
    url = "/admin/students/intakerecord/import-csv/"

    dry = admin_client.post(url, {"file": SimpleUploadedFile("a.csv", csv), "dry_run": "on"})
    assert "Resultado de la validación" in dry.content.decode()
    assert not Student.objects.exists()

    done = admin_client.post(url, {"file": SimpleUploadedFile("a.csv", csv)})
    page = done.content.decode()
    assert re.search(r"Estudiantes nuevos</th><td>1</td>", page)
    assert "Plan desconocido «oro»" in page
    assert Student.objects.get().email == "ana@example.com"


def test_a_typeform_mapping_must_name_known_fields_and_the_email(admin_client):
    response = admin_client.post(
        "/admin/students/typeformform/add/",
        {
            "form_id": "abc",
            "purpose": "registration",
            "field_refs": '{"nombre": "x"}',
            "hidden_fields": "{}",
            "active": "on",
        },
    )
    assert "Campos desconocidos: nombre." in response.content.decode()
    admin_client.post(
        "/admin/students/typeformform/add/",
        {
            "form_id": "abc",
            "purpose": "lead",
            "field_refs": '{"email": "correo"}',
            "hidden_fields": "{}",
            "active": "on",
        },
    )
    form = TypeformForm.objects.get()
    assert (form.field_refs, form.purpose) == ({"email": "correo"}, TypeformForm.Purpose.LEAD)


def test_the_csv_upload_needs_the_add_student_permission(client, django_user_model):
    clerk = django_user_model.objects.create_user(username="clerk", is_staff=True)
    client.force_login(clerk)
    assert client.get("/admin/students/intakerecord/import-csv/").status_code == 403
