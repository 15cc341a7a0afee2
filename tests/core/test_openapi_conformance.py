"""The OpenAPI schema tells the truth: schemathesis calls every operation of the live
schema through the WSGI app (with a token holding every scope) and checks that each answer
has a documented status code and matches its documented schema, and that nothing is a 500.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from courseops.operations.tokens import issue_token

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
]


@pytest.fixture(autouse=True)
def _keep_the_tests_connection():
    """As Django's test client does: the WSGI app must not close the test's connection
    (and its transaction) when a request starts or ends."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def token(db, django_user_model):
    user = django_user_model.objects.create_user(
        username="integracion", is_staff=True, is_superuser=True
    )
    _token, key = issue_token(user=user, name="schemathesis", scopes=["*"])
    return key


# The live schema, as /api/schema/ serves it (loading it touches no database).
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@schema.parametrize()
@hypothesis_settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_every_operation_answers_as_its_schema_documents(case, token, settings):
    settings.STRIPE_SECRET_KEY = ""  # no vendor call leaves the machine
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)


@pytest.fixture
def records(db, django_capture_on_commit_callbacks):
    """One of each resource the API reads, so its 200 answers are checked too."""
    from datetime import timedelta

    from django.utils import timezone

    from engagement.models import Question
    from marketing.models import Campaign, Lead
    from students.intake.services import register_student
    from students.models import Plan
    from webinars.services import webinar_create

    Plan.objects.create(slug="premium", name="Premium", price=149)
    with django_capture_on_commit_callbacks(execute=True):
        student = register_student(
            data={"email": "ana@example.com", "full_name": "Ana", "plan": "premium"},
            source="api",
        ).student
    webinar = webinar_create(
        title="IA para tu negocio",
        description="Casos prácticos.",
        starts_at=timezone.now() + timedelta(days=7),
        time_zone="America/Mexico_City",
        is_public=True,
        plans=(),
    )
    return {
        "/api/v1/students/{id}/": student.pk,
        "/api/v1/students/{id}/onboarding/": student.pk,
        "/api/v1/students/{id}/progress/": student.pk,
        "/api/v1/webinars/{id}/": webinar.pk,
        "/api/v1/leads/{id}/": Lead.objects.get(email="ana@example.com").pk
        if Lead.objects.filter(email="ana@example.com").exists()
        else Lead.objects.create(email="ana@example.com").pk,
        "/api/v1/campaigns/{id}/stats/": Campaign.objects.create(name="Noviembre").pk,
        "question": Question.objects.create(
            text="¿Hay grabación?", email="ana@example.com", channel=Question.Channel.API
        ).pk,
    }


READS = [
    "/api/v1/students/",
    "/api/v1/students/{id}/",
    "/api/v1/students/{id}/onboarding/",
    "/api/v1/students/{id}/progress/",
    "/api/v1/webinars/",
    "/api/v1/webinars/{id}/",
    "/api/v1/leads/",
    "/api/v1/leads/{id}/",
    "/api/v1/campaigns/{id}/stats/",
    "/api/v1/questions/",
    "/api/v1/me/",
]


@pytest.mark.parametrize("path", READS)
@pytest.mark.django_db
def test_every_read_of_an_existing_record_answers_200_as_documented(path, records, token):
    operation = schema[path]["GET"]
    path_parameters = {"id": records[path]} if "{id}" in path else {}
    case = operation.Case(path_parameters=path_parameters, query={})

    response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

    assert response.status_code == 200
    if "{id}" not in path and path != "/api/v1/me/":
        assert response.json()["results"], path


def _operations():
    for path, methods in schema.raw_schema["paths"].items():
        for method, operation in methods.items():
            yield path, method.upper(), operation


def test_every_operation_has_a_resource_tag_a_summary_and_its_errors_with_examples():
    problems = []
    for path, method, operation in _operations():
        if operation.get("tags") in (None, [], ["v1"], ["api"]):
            problems.append((method, path, "tag"))
        if not operation.get("summary"):
            problems.append((method, path, "summary"))
        for code, response in operation["responses"].items():
            if not code.startswith(("4", "5")):
                continue
            content = response.get("content", {}).get("application/json", {})
            ref = content.get("schema", {}).get("$ref", "")
            component = schema.raw_schema["components"]["schemas"].get(ref.split("/")[-1], {})
            if not {"detail", "errores"} <= set(component.get("properties", {})):
                problems.append((method, path, code, "shape"))
            if not content.get("examples"):
                problems.append((method, path, code, "example"))
        if method == "POST" and not {"409", "422"} <= set(operation["responses"]):
            problems.append((method, path, "idempotency errors"))
    assert problems == []


def test_the_erase_operation_documents_the_201_it_answers():
    responses = schema.raw_schema["paths"]["/api/v1/privacy/erase/"]["post"]["responses"]
    assert "201" in responses
    assert "200" not in responses
