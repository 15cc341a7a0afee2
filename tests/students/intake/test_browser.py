"""A person follows the emailed correction link in a real browser and ends an active student."""

import re

import pytest

from courseops.messaging.models import OutboundMessage
from students.intake.services import register_student
from students.models import IntakeRecord, Student

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_an_emailed_correction_link_leads_to_an_active_student(
    live_server, browser_page, plans, settings
):
    # Production's cookie settings: Chromium keeps Secure cookies on http://localhost.
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SITE_URL = live_server.url
    register_student(
        data={
            "email": "lucia@example.com",
            "full_name": "Lucía Gómez",
            "plan": "Premium",
            "country": "Atlántida",
            "time_zone": "Hora de Marte",
            "consent": True,
        },
        source="typeform",
        external_id="form:token-1",
    )
    email = OutboundMessage.objects.get(recipient="lucia@example.com")
    link = re.search(r"https?://\S+/registro/corregir/\S+/", email.text_body).group(0)

    page = browser_page
    page.goto(link)
    assert page.get_by_label("Plan").input_value() == "premium"  # kept as chosen
    page.get_by_label("País").fill("España")
    page.get_by_role("button", name="Enviar corrección").click()
    # Still one thing wrong: said, with the field, and nothing else lost.
    page.wait_for_selector("text=Zona horaria desconocida «Hora de Marte»")
    assert page.get_by_label("País").input_value() == "España"
    page.get_by_label("Zona horaria").fill("Madrid (CET)")
    page.get_by_role("button", name="Enviar corrección").click()
    page.wait_for_selector("text=Tu inscripción está completa")

    student = Student.objects.get(email="lucia@example.com")
    assert student.status == Student.Status.ACTIVE
    assert (student.plan.slug, student.country, student.time_zone) == (
        "premium",
        "ES",
        "Europe/Madrid",
    )
    assert IntakeRecord.objects.get().status == IntakeRecord.Status.CORRECTED
