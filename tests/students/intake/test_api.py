from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from students.api.onboarding import NewestFirst
from students.models import IntakeRecord, Student

URL = "/api/v1/estudiantes/onboarding"
BODY = {
    "email": "juan.perez@example.com",
    "nombre": "Juan Pérez",
    "plan": "premium",
    "intereses": ["machine learning", "nlp"],
    "telefono": "+52 55 1234 5678",
}


@pytest.fixture
def post(api_client, plans, django_capture_on_commit_callbacks):
    def post(body, **headers):
        with django_capture_on_commit_callbacks(execute=True):
            return api_client.post(URL, body, format="json", headers=headers)

    return post


def test_a_valid_registration_answers_201_with_the_student_and_where_to_poll(post):
    response = post(BODY)

    assert response.status_code == 201
    student = Student.objects.get()
    body = response.json()
    assert body["estudiante_id"] == str(student.pk)
    # Answered before the pipeline task runs (it is enqueued when the request commits).
    assert body["estado"] == "pendiente"
    assert body["acceso_plataforma"] is None
    assert body["url_estado"] == f"http://testserver/api/v1/students/{student.pk}/onboarding/"
    assert (student.full_name, student.interests, student.source) == (
        "Juan Pérez",
        ["machine learning", "nlp"],
        "api",
    )


def test_invalid_data_answers_400_with_the_field_errors_and_keeps_the_record(post):
    response = post({**BODY, "email": "juan@gmial.com", "plan": "oro"})

    assert response.status_code == 400
    errors = response.json()["errores"]
    assert errors["email"] == ["¿Quisiste decir juan@gmail.com? Revisa el dominio del email."]
    assert "basico, premium, vip" in errors["plan"][0]
    assert IntakeRecord.objects.get().status == IntakeRecord.Status.INVALID
    assert not Student.objects.exists()


def test_an_email_already_registered_answers_409(post):
    first = post(BODY)
    again = post({**BODY, "email": "JUAN.PEREZ@example.com"})

    assert again.status_code == 409
    assert again.json()["estudiante_id"] == first.json()["estudiante_id"]
    assert Student.objects.count() == 1


def test_a_repeated_idempotency_key_replays_the_first_answer(post):
    first = post(BODY, **{"Idempotency-Key": "order-77"})
    again = post(BODY, **{"Idempotency-Key": "order-77"})

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert IntakeRecord.objects.count() == 1


def test_a_reused_idempotency_key_with_another_persons_data_is_a_422_not_their_answer(post):
    first = post(BODY, **{"Idempotency-Key": "order-77"})
    other = post({**BODY, "email": "otra@example.com"}, **{"Idempotency-Key": "order-77"})

    assert (first.status_code, other.status_code) == (201, 422)
    assert "Idempotency-Key" in other.json()["detail"]
    assert other.json()["errores"] == {}
    assert "estudiante_id" not in other.json()
    assert list(Student.objects.values_list("email", flat=True)) == ["juan.perez@example.com"]


def test_a_replayed_invalid_request_answers_the_same_400(post):
    first = post({**BODY, "plan": "oro"}, **{"Idempotency-Key": "bad-1"})
    again = post({**BODY, "plan": "oro"}, **{"Idempotency-Key": "bad-1"})
    assert (first.status_code, again.status_code) == (400, 400)
    assert again.json() == first.json()


def test_a_body_that_is_not_an_object_is_a_400_in_json(post):
    response = post(["a", "list"])
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


def test_the_api_needs_a_staff_token(plans):
    anonymous = APIClient().post(URL, BODY, format="json")
    assert anonymous.status_code in (401, 403)
    assert not IntakeRecord.objects.exists()


def test_staff_need_the_student_permissions(plans, django_user_model):
    clerk = django_user_model.objects.create_user(username="clerk", is_staff=True)
    client = APIClient()
    client.force_authenticate(clerk)

    assert client.get("/api/v1/students/").status_code == 403
    assert client.post(URL, BODY, format="json").status_code == 403
    assert not IntakeRecord.objects.exists()


def test_the_student_list_filters_by_plan_status_and_source(api_client, student_factory, plans):
    student_factory(plan=plans["vip"], source="csv")
    wanted = student_factory(plan=plans["vip"], source="api", status="active")
    student_factory(plan=plans["basico"], source="api", status="active")

    response = api_client.get("/api/v1/students/?plan=vip&status=active&source=api")

    assert response.status_code == 200
    assert [row["email"] for row in response.json()["results"]] == [wanted.email]
    assert response.json()["results"][0]["plan"] == "vip"


def test_the_student_list_rejects_a_bad_date_with_a_400(api_client, plans):
    response = api_client.get("/api/v1/students/?created_after=yesterday")
    assert response.status_code == 400
    assert "created_after" in response.json()["errores"]


@pytest.mark.parametrize("rows", [2, 20])
def test_the_student_list_costs_the_same_queries_at_any_size(api_client, student_factory, rows):
    student_factory.create_batch(rows)
    with CaptureQueriesContext(connection) as queries:
        response = api_client.get("/api/v1/students/")
    assert len(response.json()["results"]) == rows
    assert len(queries) == 1


def test_the_student_list_pages_with_a_cursor(api_client, student_factory, monkeypatch):
    student_factory.create_batch(3)
    monkeypatch.setattr(NewestFirst, "page_size", 2)
    first = api_client.get("/api/v1/students/").json()
    next_page = urlsplit(first["next"])
    second = api_client.get(f"{next_page.path}?{next_page.query}").json()
    emails = [row["email"] for row in first["results"] + second["results"]]
    assert len(set(emails)) == 3


def test_a_students_detail_and_onboarding_steps(post, api_client):
    created = post(BODY).json()
    detail = api_client.get(f"/api/v1/students/{created['estudiante_id']}/")
    onboarding = api_client.get(f"/api/v1/students/{created['estudiante_id']}/onboarding/")

    assert detail.json()["email"] == "juan.perez@example.com"
    steps = onboarding.json()["steps"]
    assert [s["name"] for s in steps][:2] == ["validate", "account"]
    assert steps[0]["status"] == "done"
    assert api_client.get("/api/v1/students/999999/onboarding/").status_code == 404
