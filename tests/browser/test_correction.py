"""The registration correction page in Chromium (the current flow, minimally): the emailed
link shows what is wrong, the person fixes it and the registration completes."""

from decimal import Decimal

import pytest

from students.intake.services import correction_url, register_student
from students.models import IntakeRecord, Plan, Student
from tests.browser.conftest import assert_production_headers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def invalid_record():
    for slug, name in (("premium", "Premium"), ("vip", "VIP")):
        Plan.objects.create(slug=slug, name=name, price=Decimal("99"))
    register_student(
        data={
            "email": "lucia.gomez@example.com",
            "full_name": "Lucía Gómez",
            "phone": "55 1234 5678",
            "country": "MX",
            "plan": "oro",
            "consent": True,
        },
        source="typeform",
    )
    return IntakeRecord.objects.get(status=IntakeRecord.Status.INVALID)


def test_a_person_fixes_their_registration_from_the_emailed_link(page, invalid_record):
    shown = page.goto(correction_url(invalid_record))
    assert_production_headers(shown)
    page.get_by_role("heading", name="Corrige tu inscripción").wait_for()
    assert page.get_by_text("Plan desconocido «oro»").is_visible()

    page.get_by_label("Plan", exact=True).select_option("vip")
    page.get_by_role("button", name="Enviar corrección").click()

    page.get_by_text("Tu inscripción está completa").wait_for()
    invalid_record.refresh_from_db()
    assert invalid_record.status == IntakeRecord.Status.CORRECTED
    assert Student.objects.get().plan.slug == "vip"
