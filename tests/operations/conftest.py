import pytest
import respx
from django.db import connection
from httpx import Response

from courseops.operations.backups.database import SQLITE, engine

SLACK_URL = "https://hooks.slack.example.com/services/T000/B000/XXXX"


@pytest.fixture(autouse=True)
def _alert_destinations(settings):
    settings.ALERTS_EMAILS = ["ops@example.com"]
    settings.ALERTS_SLACK_WEBHOOK_URL = SLACK_URL


@pytest.fixture
def dashboard_page(admin_client, django_capture_on_commit_callbacks):
    """The dashboard's page as staff see it once its figures are stored: a first visit
    queues their computation (run here as the worker would), the second shows them."""

    def page(url="/admin/", client=admin_client):
        with django_capture_on_commit_callbacks(execute=True):
            client.get(url)
        response = client.get(url)
        assert response.status_code == 200
        return response.content.decode()

    return page


@pytest.fixture
def slack():
    """The Slack incoming webhook, faked at httpx's transport; `slack.calls` are the posts."""
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        route = router.post(SLACK_URL).mock(return_value=Response(200, text="ok"))
        yield route


@pytest.fixture
def empty_database(tmp_path):
    """A new, empty database of the engine the suite runs on (a DATABASES entry)."""
    db = dict(connection.settings_dict)
    if engine(db) == SQLITE:
        db["NAME"] = str(tmp_path / "drill.sqlite3")
        yield db
        return
    db["NAME"] = f"{connection.settings_dict['NAME']}_drill"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}"')
        cursor.execute(f'CREATE DATABASE "{db["NAME"]}"')
    yield db
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}" WITH (FORCE)')
