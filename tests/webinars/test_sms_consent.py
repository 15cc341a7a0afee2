"""Students say yes to SMS explicitly at intake (API, Typeform, CSV); only then do their
webinar registrations from onboarding carry SMS consent."""

import pytest
import time_machine

from students.intake.csv_import import import_students
from students.intake.services import register_student
from students.intake.typeform import registration_data
from students.models import Plan, Student, TypeformForm
from tests.webinars.conftest import START
from webinars.services import register_onboarded_student

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_plan(db):
    return Plan.objects.create(slug="vip", name="VIP", includes_live_webinars=True, price=100)


def _data(email, **extra):
    return {
        "email": email,
        "full_name": "Lucía Pérez",
        "phone": "+52 55 1234 5678",
        "plan": "vip",
        "country": "MX",
        **extra,
    }


def test_the_api_keeps_when_and_what_text_the_student_accepted(live_plan, api_client):
    response = api_client.post(
        "/api/v1/estudiantes/onboarding",
        {**_data("lucia@example.com"), "consentimiento_sms": True},
        format="json",
    )
    assert response.status_code in (201, 202), response.content
    student = Student.objects.get(email="lucia@example.com")
    assert student.sms_consent_at is not None
    assert "STOP" in student.sms_consent_text


def test_no_sms_consent_without_an_explicit_yes_or_without_a_phone(live_plan):
    register_student(data=_data("a@example.com", consent=True), source="api")
    register_student(data=_data("b@example.com", sms_consent=True, phone=""), source="api")
    assert list(Student.objects.values_list("sms_consent_at", flat=True)) == [None, None]


def test_typeform_and_csv_doors_map_the_sms_consent(live_plan):
    form = TypeformForm(form_id="f1", name="Alta", field_refs={"sms_consent": "sms_ok"})
    answer = {"type": "boolean", "boolean": True, "field": {"ref": "sms_ok"}}
    assert registration_data(form, {"answers": [answer]}) == {"sms_consent": True}

    csv = (
        "email,nombre,telefono,pais,plan,consentimiento sms\n"
        "c@example.com,Carla Ruiz,+52 55 1111 2222,MX,vip,sí\n"
        "d@example.com,Dani Gil,+52 55 3333 4444,MX,vip,no\n"
    ).encode()
    import_students(content=csv, source_name="alta.csv")
    consent = dict(Student.objects.values_list("email", "sms_consent_at"))
    assert consent["c@example.com"] is not None
    assert consent["d@example.com"] is None


def test_onboarding_registers_to_webinars_with_sms_only_for_those_who_said_yes(
    make_webinar, live_plan, django_capture_on_commit_callbacks
):
    with time_machine.travel(START.replace(month=11), tick=False):
        webinar = make_webinar(plans=[live_plan], is_public=False)
        register_student(data=_data("yes@example.com", sms_consent=True), source="api")
        register_student(data=_data("no@example.com"), source="api")
        for student in Student.objects.all():
            register_onboarded_student(student=student)

    registrations = {r.email: r for r in webinar.registrations.all()}
    assert registrations["yes@example.com"].sms_consent is True
    assert "STOP" in registrations["yes@example.com"].consent_text
    assert registrations["no@example.com"].sms_consent is False
