"""External sites report conversions: `POST /api/v1/marketing/events/` with a scoped
token; the same event_id twice counts once."""

import pytest
from rest_framework.test import APIClient

from courseops.operations.tokens import issue_token
from marketing.funnel.models import ExternalEvent
from marketing.models import Activity, Lead

pytestmark = pytest.mark.django_db
URL = "/api/v1/marketing/events/"


@pytest.fixture
def partner(staff_user):
    _token, secret = issue_token(user=staff_user, name="web", scopes=["marketing:write"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_a_checkout_reported_twice_is_one_event_one_contact_and_one_scored_action(partner):
    body = {
        "event_id": "shop-9001",
        "type": "checkout_started",
        "email": "Marta@Example.com",
        "occurred_at": "2026-11-20T10:00:00-06:00",
        "utm_source": "google",
    }

    first = partner.post(URL, body, format="json")
    again = partner.post(URL, body, format="json")

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    lead = Lead.objects.get()
    assert (lead.email, lead.first_source, lead.first_utm) == (
        "marta@example.com",
        "event",
        {"utm_source": "google"},
    )
    [activity] = Activity.objects.filter(action="checkout_started")
    assert activity.occurred_at.isoformat() == "2026-11-20T16:00:00+00:00"
    assert ExternalEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "lead", "email": "a@example.com"}, "event_id"),
        ({"event_id": "1", "type": "purchase", "email": "a@example.com"}, "type"),
        ({"event_id": "1", "type": "lead", "email": "no-es-email"}, "email"),
        (
            {"event_id": "1", "type": "lead", "email": "a@e.com", "occurred_at": "ayer"},
            "occurred_at",
        ),
        (
            {
                "event_id": "1",
                "type": "lead",
                "email": "a@e.com",
                "occurred_at": "2026-02-30T10:00:00+00:00",
            },
            "occurred_at",
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(partner, body, field):
    response = partner.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errores"]
    assert not ExternalEvent.objects.exists()
    assert not Lead.objects.exists()


def test_without_a_token_or_with_a_read_only_one_nothing_is_recorded(staff_user):
    body = {"event_id": "1", "type": "lead", "email": "a@example.com"}
    _token, secret = issue_token(user=staff_user, name="ro", scopes=["marketing:read"])
    read_only = APIClient()
    read_only.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert APIClient().post(URL, body, format="json").status_code in (401, 403)
    assert read_only.post(URL, body, format="json").status_code == 403
    assert not ExternalEvent.objects.exists()
