import pytest


@pytest.mark.django_db
def test_unknown_api_path_answers_json_404(client):
    response = client.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


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
