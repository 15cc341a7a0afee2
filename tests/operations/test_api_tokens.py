from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from courseops.operations.models import ApiToken
from courseops.operations.tokens import issue_token, revoke_token

pytestmark = pytest.mark.django_db


def client_with(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def integration(django_user_model):
    return django_user_model.objects.create_user(
        username="zapier", password="pw-zap-1234", is_staff=True, is_superuser=True
    )


def test_a_token_reaches_only_the_apps_and_methods_of_its_scopes(integration):
    _, key = issue_token(user=integration, name="zapier", scopes=["webinars:read"])
    client = client_with(key)

    assert client.get("/api/v1/webinars/").status_code == 200
    denied_write = client.post("/api/v1/webinars/1/registrations/", {}, format="json")
    denied_app = client.get("/api/v1/students/")
    assert denied_write.status_code == 403
    assert "webinars:write" in denied_write.json()["detail"]
    assert denied_app.status_code == 403
    assert "students:read" in denied_app.json()["detail"]


def test_write_implies_read_and_star_reaches_everything(integration):
    _, writer = issue_token(user=integration, name="n8n", scopes=["students:write"])
    _, everything = issue_token(user=integration, name="ops", scopes=["*"])

    assert client_with(writer).get("/api/v1/students/").status_code == 200
    assert client_with(everything).get("/api/v1/webinars/").status_code == 200
    assert client_with(everything).get("/api/v1/me/").json()["username"] == "zapier"


def test_only_a_hash_of_the_key_is_stored_and_use_is_recorded(integration):
    token, key = issue_token(user=integration, name="zapier", scopes=["*"])
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert key not in str(row)
    assert key.startswith(row["prefix"])

    client_with(key).get("/api/v1/me/")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_revoked_expired_and_unknown_tokens_are_refused(integration):
    token, key = issue_token(
        user=integration, name="x", scopes=["*"], expires_at=timezone.now() + timedelta(days=1)
    )
    assert client_with(key).get("/api/v1/me/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert client_with(key).get("/api/v1/me/").status_code == 401
    assert revoke_token(token=token) is True
    assert client_with(key).get("/api/v1/me/").status_code == 401
    assert client_with("co_unknown").get("/api/v1/me/").status_code == 401
    integration.is_active = False
    integration.save()
    _, other = issue_token(user=integration, name="y", scopes=["*"])
    assert client_with(other).get("/api/v1/me/").status_code == 401


def test_the_command_issues_a_token_and_refuses_unknown_scopes(integration):
    out = StringIO()
    call_command(
        "create_api_token",
        "zapier",
        "--name",
        "zapier",
        "--scope",
        "webinars:write",
        stdout=out,
        stderr=StringIO(),
    )
    key = out.getvalue().strip()
    assert client_with(key).get("/api/v1/webinars/").status_code == 200
    with pytest.raises(Exception, match="Unknown scopes: nope:write"):
        call_command("create_api_token", "zapier", "--name", "x", "--scope", "nope:write")


def test_staff_issue_a_token_in_the_admin_and_see_the_key_once(client, staff_user):
    client.force_login(staff_user)
    response = client.post(
        "/admin/operations/apitoken/add/",
        {"name": "typeform", "user": staff_user.pk, "scopes": ["students:write"]},
        follow=True,
    )
    token = ApiToken.objects.get()
    [message] = [str(m) for m in response.context["messages"] if "Token creado" in str(m)]
    key = message.rsplit(" ", 1)[-1]
    assert key.startswith(token.prefix)
    assert token.scopes == ["students:write"]
    assert client_with(key).get("/api/v1/students/").status_code == 200


def test_the_api_schema_documents_the_bearer_tokens(api_client):
    schema = api_client.get("/api/schema/?format=json").json()
    assert schema["components"]["securitySchemes"]["scopedToken"]["scheme"] == "bearer"


def test_create_api_token_refuses_a_user_who_is_not_staff(django_user_model):
    django_user_model.objects.create_user(username="alumna", password="pw-alu-1234")

    with pytest.raises(CommandError, match="no es del equipo"):
        call_command("create_api_token", "alumna", "--name", "x", "--scope", "*")

    assert not ApiToken.objects.exists()


def test_the_admin_refuses_a_token_for_a_user_who_is_not_staff(
    client, staff_user, django_user_model
):
    student = django_user_model.objects.create_user(username="alumna", password="pw-alu-1234")
    client.force_login(staff_user)

    response = client.post(
        "/admin/operations/apitoken/add/",
        {"name": "x", "user": student.pk, "scopes": ["students:read"]},
    )

    assert response.status_code == 200
    assert "no es del equipo" in response.content.decode()
    assert not ApiToken.objects.exists()
