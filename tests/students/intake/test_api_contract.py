"""The registration API's contract with integrators: strict JSON types, fields named as
the request named them, answers in the caller's language (issue 18)."""

import pytest

from courseops.messaging.models import OutboundMessage
from students.models import IntakeRecord, Student

URL = "/api/v1/estudiantes/onboarding"
LOOSE = {
    "email": ["x@example.com"],
    "nombre": {"x": 1},
    "intereses": 5,
    "consentimiento": "quizas",
}


@pytest.fixture
def post(api_client, plans, django_capture_on_commit_callbacks):
    def post(body, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return api_client.post(URL, body, format="json", **extra)

    return post


def test_loose_json_types_are_a_400_naming_each_field_and_nothing_is_stored(post):
    response = post({**LOOSE, "plan": "premium"})

    assert response.status_code == 400
    assert sorted(response.json()["errores"]) == [
        "consentimiento",
        "email",
        "intereses",
        "nombre",
    ]
    assert not Student.objects.exists()
    assert not IntakeRecord.objects.exists()


def test_loose_types_with_an_invalid_plan_crash_nothing(post):
    response = post({**LOOSE, "plan": "oro"})

    assert response.status_code == 400
    assert "email" in response.json()["errores"]
    assert not OutboundMessage.objects.exists()


def test_errors_name_fields_as_the_request_did(post):
    spanish = post({"email": "a@example.com", "nombre": "A", "plan": "vip", "pais": "ZZ"})
    english = post({"email": "b@example.com", "full_name": "B", "plan": "vip", "country": "ZZ"})

    assert list(spanish.json()["errores"]) == ["pais"]
    assert list(english.json()["errores"]) == ["country"]


def test_a_bad_time_zone_is_named_zona_horaria_when_the_request_said_so(post):
    response = post(
        {"email": "a@example.com", "nombre": "A", "plan": "vip", "zona_horaria": "Marte/Olimpo"}
    )
    assert list(response.json()["errores"]) == ["zona_horaria"]


def test_the_services_errors_come_in_english_when_the_caller_asks(post):
    response = post(
        {"email": "a@example.com", "nombre": "A", "plan": "oro", "country": "ZZ"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Invalid data."
    assert body["errores"]["country"] == [
        "Unknown country “ZZ”: write its name or its code (MX, ES, AR)."
    ]
    assert body["errores"]["plan"][0].startswith("Unknown plan “oro”.")


def test_spanish_and_english_keys_are_accepted_alike(post):
    response = post(
        {"correo": "c@example.com", "full_name": "Cata", "plan": "vip", "zona_horaria": "UTC"}
    )

    assert response.status_code == 201
    student = Student.objects.get()
    assert (student.email, student.full_name, student.time_zone) == (
        "c@example.com",
        "Cata",
        "UTC",
    )


def test_the_same_field_twice_under_two_names_is_a_400(post):
    response = post({"email": "a@example.com", "nombre": "A", "full_name": "B", "plan": "vip"})
    assert response.status_code == 400
    assert "full_name" in response.json()["errores"]


def test_a_duplicate_answers_409_in_the_error_shape_naming_the_student(post):
    first = post({"email": "a@example.com", "nombre": "A", "plan": "vip"})
    again = post({"correo": "A@example.com", "nombre": "A", "plan": "vip"})

    assert again.status_code == 409
    body = again.json()
    assert body["errores"] == {"correo": ["El email ya está registrado."]}
    assert body["estudiante_id"] == first.json()["estudiante_id"]
