import re

import pytest
import time_machine
from django.utils import timezone

from courseops.messaging.models import OutboundMessage
from students.intake.services import correction_url, register_student
from students.models import IntakeRecord, OnboardingStep, Student


@pytest.fixture
def invalid_record(plans, registration, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        register_student(data={**registration, "plan": "oro", "phone": "12"}, source="typeform")
    return IntakeRecord.objects.get()


def link_path(message):
    return re.search(r"https?://[^/]+(/registro/corregir/\S+/)", message.text_body).group(1)


def test_the_emailed_link_fixes_the_registration_and_starts_onboarding(
    client, invalid_record, django_capture_on_commit_callbacks
):
    path = link_path(OutboundMessage.objects.get())

    page = client.get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Corrige tu inscripción" in html
    assert "Plan desconocido «oro»" in html
    assert 'aria-invalid="true"' in html
    assert 'value="Lucía Gómez"' in html

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            path,
            {
                "full_name": "Lucía Gómez",
                "email": "lucia.gomez@example.com",
                "phone": "55 1234 5678",
                "country": "MX",
                "plan": "vip",
                "language": "es",
                "consent": "on",
            },
        )

    assert done.status_code == 200
    assert "Tu inscripción está completa" in done.content.decode()
    invalid_record.refresh_from_db()
    student = Student.objects.get()
    assert invalid_record.status == IntakeRecord.Status.CORRECTED
    assert invalid_record.student == student
    assert invalid_record.errors == {}
    assert (student.plan.slug, student.phone, student.source) == (
        "vip",
        "+525512345678",
        "typeform",
    )
    assert student.onboarding_steps.get(name="validate").status == OnboardingStep.Status.DONE
    # The link is spent: opening it again says so rather than offering the form.
    assert "Tu inscripción está completa" in client.get(path).content.decode()


def test_a_correction_that_is_still_wrong_shows_the_new_errors_and_keeps_the_record(
    client, invalid_record
):
    path = link_path(OutboundMessage.objects.get())
    response = client.post(path, {"full_name": "Lucía", "email": "lucia@example.com", "plan": ""})

    assert response.status_code == 400
    assert "Elige un plan" in response.content.decode()
    invalid_record.refresh_from_db()
    assert invalid_record.status == IntakeRecord.Status.INVALID
    assert invalid_record.errors["plan"]
    assert not Student.objects.exists()


def test_a_forged_or_expired_link_is_refused(client, invalid_record, settings):
    assert client.get("/registro/corregir/not-a-token/").status_code == 404
    url = correction_url(invalid_record)
    later = timezone.now() + timezone.timedelta(
        seconds=settings.STUDENTS_CORRECTION_LINK_MAX_AGE + 60
    )
    with time_machine.travel(later):
        response = client.get(url.removeprefix(settings.SITE_URL))
    assert response.status_code == 404
    assert "ha caducado" in response.content.decode()
