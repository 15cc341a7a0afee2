import pytest
from rest_framework.test import APIClient


@pytest.mark.django_db
def test_unknown_api_path_answers_json_404_in_the_callers_language(client):
    spanish = client.get("/api/v1/no-such-thing/")
    english = client.get("/api/v1/no-such-thing/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert spanish.status_code == english.status_code == 404
    assert spanish.json() == {"detail": "No existe esta dirección.", "errores": {}}
    assert english.json() == {"detail": "This address does not exist.", "errores": {}}
    assert english["Content-Language"] == "en"


@pytest.mark.django_db
def test_openapi_schema_is_served(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert b"CourseOps API" in response.content


@pytest.mark.django_db
def test_api_without_credentials_answers_json_401(client):
    response = client.get("/api/v1/me/")

    assert response.status_code == 401
    assert response.json()["detail"]


@pytest.mark.django_db
def test_a_drf_token_authenticates_api_calls(client, staff_user):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=staff_user)

    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token.key}")

    assert response.status_code == 200
    assert response.json() == {"username": "ana", "is_staff": True}


@pytest.mark.django_db
def test_api_docs_page_serves_swagger_assets_locally(admin_client):
    response = admin_client.get("/api/docs/")

    assert response.status_code == 200
    assert b"cdn.jsdelivr" not in response.content
    assert b"/static/drf_spectacular_sidecar/" in response.content


@pytest.mark.django_db
def test_staff_logging_in_without_a_next_page_land_on_the_admin(client, staff_user):
    response = client.post("/admin/login/", {"username": "ana", "password": "pw-ana-1234"})

    assert response.status_code == 302
    assert response.url == "/admin/"


@pytest.mark.django_db
def test_the_admin_speaks_spanish_whatever_the_browser_asks(admin_client):
    response = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert 'lang="es"' in response.content.decode()


@pytest.mark.django_db
def test_a_missing_object_is_a_404_in_spanish_by_default_and_english_when_asked(api_client):
    spanish = api_client.get("/api/v1/students/999999/")
    english = api_client.get("/api/v1/students/999999/", HTTP_ACCEPT_LANGUAGE="en")
    # A language we do not speak falls back to Spanish.
    german = api_client.get("/api/v1/students/999999/", HTTP_ACCEPT_LANGUAGE="de-DE")

    assert spanish.status_code == 404
    assert spanish.json() == {
        "detail": "No existe lo que se pide en esta dirección.",
        "errores": {},
    }
    assert english.json() == {"detail": "Nothing exists at this address.", "errores": {}}
    assert german.json() == spanish.json()
    assert "matches the given query" not in spanish.content.decode()


def _clerk(django_user_model):
    clerk = django_user_model.objects.create_user(username="clerk", is_staff=True)
    client = APIClient()
    client.force_authenticate(clerk)
    return client


def _busy_key(api_client):
    from courseops.core.models import IdempotencyKey

    body = {"email": "ana@example.com"}
    api_client.post("/api/v1/leads/", body, format="json", headers={"Idempotency-Key": "busy"})
    IdempotencyKey.objects.update(status_code=None)
    return api_client.post(
        "/api/v1/leads/", body, format="json", headers={"Idempotency-Key": "busy"}
    )


def _reused_key(api_client):
    for email in ("ana@example.com", "beto@example.com"):
        response = api_client.post(
            "/api/v1/leads/", {"email": email}, format="json", headers={"Idempotency-Key": "k"}
        )
    return response


def _throttled(api_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "registration": "1/min",
        },
    }
    for _ in range(2):
        response = api_client.post("/api/v1/estudiantes/onboarding", {}, format="json")
    return response


ERRORS = {
    400: lambda c, s, u: c.post("/api/v1/leads/", {"email": ["a@example.com"]}, format="json"),
    401: lambda c, s, u: APIClient().get("/api/v1/students/"),
    403: lambda c, s, u: _clerk(u).get("/api/v1/students/"),
    404: lambda c, s, u: c.get("/api/v1/leads/999999/"),
    405: lambda c, s, u: c.get("/api/v1/activity/"),
    409: lambda c, s, u: _busy_key(c),
    415: lambda c, s, u: c.post("/api/v1/leads/", "email=a", content_type="text/plain"),
    422: lambda c, s, u: _reused_key(c),
    429: lambda c, s, u: _throttled(c, s),
}


@pytest.mark.parametrize("status", sorted(ERRORS))
@pytest.mark.django_db
def test_every_api_error_has_the_one_shape(status, api_client, settings, django_user_model):
    response = ERRORS[status](api_client, settings, django_user_model)

    assert response.status_code == status
    body = response.json()
    assert sorted(body) == ["detail", "errores"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert all(
        isinstance(messages, list) and all(isinstance(m, str) for m in messages)
        for messages in body["errores"].values()
    )
    if status == 400:
        assert list(body["errores"]) == ["email"]


@pytest.mark.django_db
def test_an_error_is_in_english_when_the_caller_asks(api_client):
    response = api_client.get("/api/v1/activity/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 405
    assert response.json()["detail"] == 'Method "GET" not allowed.'


@pytest.mark.django_db
def test_a_nul_character_in_a_body_or_a_query_is_a_400_not_a_500(api_client):
    body = api_client.post("/api/v1/checkout/", {"plan": "\x00"}, format="json")
    query = api_client.get("/api/v1/leads/", {"source": "a\x00b"})

    assert (body.status_code, query.status_code) == (400, 400)
    assert "NUL" in body.json()["detail"]
    assert "NUL" in query.json()["detail"]


@pytest.mark.django_db
def test_a_date_filter_with_an_offset_postgresql_refuses_is_read_not_a_500(api_client):
    response = api_client.get("/api/v1/students/", {"created_after": "0404-06-01T10:15:31+17:11"})
    invalid = api_client.get("/api/v1/students/", {"created_after": "2026-13-45"})

    assert response.status_code == 200
    assert invalid.status_code == 400
    assert list(invalid.json()["errores"]) == ["created_after"]


@pytest.mark.django_db
def test_an_unknown_student_in_a_questions_body_is_a_400_naming_the_field(api_client):
    response = api_client.post(
        "/api/v1/questions/", {"text": "¿Hay grabación?", "student_id": 999999}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errores"]) == ["student_id"]
