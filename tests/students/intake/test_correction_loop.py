"""The correction loop ends: the page keeps every valid answer, shows every invalid one with
its message, and a fix (by the person or by staff in the admin) starts onboarding."""

import re

import pytest

from courseops.audit.models import AuditEntry
from courseops.messaging.models import OutboundMessage
from students.intake.services import register_student
from students.models import IntakeRecord, Student

# What a Typeform registration stored before choices were read by their ref: labels.
AS_TYPEFORM_SENT = {
    "email": "lucia@example.com",
    "full_name": "Lucía Gómez",
    "plan": "Premium",
    "country": "Atlántida",
    "time_zone": "Hora de Marte",
    "consent": True,
}


@pytest.fixture
def record(plans, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        register_student(data=AS_TYPEFORM_SENT, source="typeform", external_id="f:1")
    return IntakeRecord.objects.get()


def link_path():
    body = OutboundMessage.objects.get().text_body
    return re.search(r"https?://[^/]+(/registro/corregir/\S+/)", body).group(1)


def test_the_page_keeps_the_valid_plan_chosen_and_shows_every_invalid_field(client, record):
    html = client.get(link_path()).content.decode()

    assert re.search(r'<option value="premium" selected>', html)
    assert 'value="Lucía Gómez"' in html
    # Country and time zone both have their field, their value and their message.
    assert 'name="time_zone"' in html
    assert 'value="Hora de Marte"' in html
    assert "Zona horaria desconocida «Hora de Marte»" in html
    assert "País desconocido «Atlántida»" in html
    assert html.count('aria-invalid="true"') == 2


def test_a_country_written_as_a_name_fixes_the_record_and_starts_onboarding(
    client, record, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            link_path(),
            {
                "full_name": "Lucía Gómez",
                "email": "lucia@example.com",
                "country": "España",
                "time_zone": "Madrid (CET)",
                "plan": "premium",
                "language": "es",
                "consent": "on",
            },
        )

    assert response.status_code == 200
    # The welcome waits for staff review by default: the page promises no time.
    assert "unos minutos" not in response.content.decode()
    record.refresh_from_db()
    assert record.status == IntakeRecord.Status.CORRECTED
    student = Student.objects.get()
    assert (student.country, student.time_zone, student.plan.slug) == (
        "ES",
        "Europe/Madrid",
        "premium",
    )
    assert student.onboarding_steps.filter(status="done").exists()


def test_a_partly_fixed_form_keeps_what_was_typed_and_says_what_is_still_wrong(client, record):
    response = client.post(
        link_path(),
        {
            "full_name": "Lucía Gómez",
            "email": "lucia@example.com",
            "country": "España",
            "time_zone": "Hora de Marte",
            "plan": "premium",
        },
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert 'value="España"' in html
    assert "Zona horaria desconocida" in html
    assert "País desconocido" not in html
    record.refresh_from_db()
    assert set(record.errors) == {"time_zone"}
    assert record.data["country"] == "España"


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def test_staff_edit_an_invalid_records_fields_in_the_admin_and_it_is_registered_and_audited(
    admin_client, staff_user, record, django_capture_on_commit_callbacks
):
    url = f"/admin/students/intakerecord/{record.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert 'name="country"' in page
    assert 'name="time_zone"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url,
            {
                "full_name": "Lucía Gómez",
                "email": "lucia@example.com",
                "country": "ES",
                "time_zone": "Europe/Madrid",
                "plan": "premium",
                "language": "es",
                "consent": "on",
                "interests": "nlp, visión",
            },
        )

    assert response.status_code == 302
    record.refresh_from_db()
    assert record.status == IntakeRecord.Status.CORRECTED
    student = record.student
    assert (student.country, student.interests) == ("ES", ["nlp", "visión"])
    entry = AuditEntry.objects.get(action="students.intake.edited")
    assert entry.actor == staff_user
    assert {"country", "time_zone", "interests"} <= set(entry.data["fields"])
    assert AuditEntry.objects.filter(action="students.intake.corrected").exists()


def test_staff_edits_that_are_still_wrong_keep_the_record_with_its_new_errors(admin_client, record):
    admin_client.post(
        f"/admin/students/intakerecord/{record.pk}/change/",
        {
            "full_name": "Lucía",
            "email": "lucia@example.com",
            "plan": "premium",
            "country": "ES",
            "time_zone": "Hora de Marte",
        },
    )
    record.refresh_from_db()
    assert record.status == IntakeRecord.Status.INVALID
    assert set(record.errors) == {"time_zone"}
    assert not Student.objects.exists()


def test_rerunning_a_record_after_the_rule_changed_registers_it_and_audits_who(
    admin_client, staff_user, plans, django_capture_on_commit_callbacks
):
    # Stored with an error before; valid under today's rules (a plan added since).
    record = IntakeRecord.objects.create(
        source="csv",
        data={"email": "eva@example.com", "full_name": "Eva", "plan": "Oro", "country": "España"},
        errors={"plan": ["Plan desconocido «Oro»."]},
        status=IntakeRecord.Status.INVALID,
    )
    plans["vip"].name = "Oro"
    plans["vip"].save()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/students/intakerecord/",
            {"action": "rerun_registration", "_selected_action": [record.pk]},
        )

    record.refresh_from_db()
    assert record.status == IntakeRecord.Status.CORRECTED
    assert (record.student.plan.slug, record.student.country) == ("vip", "ES")
    assert AuditEntry.objects.get(action="students.intake.rerun").actor == staff_user
