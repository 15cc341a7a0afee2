"""REST Hooks over the API: subscribe (an id and the secret, once), list without secrets,
unsubscribe by id, rotate, and the event catalogue; only staff allowed to manage them."""

import json

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from courseops.outbound.catalogue import event_types
from courseops.outbound.models import Delivery, Endpoint
from courseops.outbound.services.announce import announce
from tests.outbound.conftest import subscribe

pytestmark = pytest.mark.django_db
URL = "/api/v1/webhooks/subscriptions/"


def post(api, url, body):
    return api.post(url, data=json.dumps(body), content_type="application/json")


def test_subscribe_returns_an_id_and_the_secret_once_as_rest_hooks_clients_expect(
    integrator_api, httpserver
):
    hook = f"http://127.0.0.1:{httpserver.port}/hooks/catch/123/"
    # Zapier's shape: one event, the URL as hookUrl.
    response = post(integrator_api, URL, {"hookUrl": hook, "event": "lead.created"})

    assert response.status_code == 201, response.content
    created = response.json()
    assert created["secret"].startswith("whsec_")
    assert created["events"] == ["lead.created"]
    endpoint = Endpoint.objects.get(pk=created["id"])
    assert (endpoint.url, endpoint.origin, endpoint.secret) == (hook, "api", created["secret"])
    listing = integrator_api.get(URL).content.decode()
    detail = integrator_api.get(f"{URL}{created['id']}/").content.decode()
    for page in (listing, detail):
        assert created["secret"] not in page
        assert "secret" not in page


def test_unsubscribe_by_id_stops_the_deliveries(integrator_api, httpserver):
    sub = subscribe(integrator_api, f"http://127.0.0.1:{httpserver.port}/h", ["lead.created"])

    assert integrator_api.delete(f"{URL}{sub['id']}/").status_code == 204

    assert not Endpoint.objects.exists()
    example = event_types()["lead.created"].example
    assert announce("lead.created", example) is None
    assert not Delivery.objects.exists()


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (
            {"target_url": "https://hooks.example.com/x", "event": "lead.deleted"},
            "events",
            "lead.deleted",
        ),
        ({"target_url": "http://10.0.0.7/hook", "event": "lead.created"}, "target_url", "10.0.0.7"),
        ({"target_url": "ftp://example.com/x", "event": "lead.created"}, "target_url", "ftp"),
        ({"target_url": "https://hooks.example.com/x"}, "events", "evento"),
    ],
)
def test_a_bad_subscription_is_a_400_naming_the_field(integrator_api, body, field, words):
    response = post(integrator_api, URL, body)

    assert response.status_code == 400
    assert words in " ".join(response.json()["errores"][field])
    assert not Endpoint.objects.exists()


def test_rotating_gives_a_new_secret_once(integrator_api, httpserver):
    sub = subscribe(integrator_api, f"http://127.0.0.1:{httpserver.port}/h", ["lead.created"])

    response = post(integrator_api, f"{URL}{sub['id']}/rotate-secret/", {})

    assert response.status_code == 200
    new = response.json()["secret"]
    endpoint = Endpoint.objects.get()
    assert (endpoint.secret, endpoint.previous_secret) == (new, sub["secret"])


def test_the_catalogue_lists_every_event_with_a_schema_and_an_example_that_fits_it(
    integrator_api,
):
    catalogue = integrator_api.get("/api/v1/webhooks/events/").json()

    assert len(catalogue) == 16
    for entry in catalogue:
        assert event_types()[entry["type"]].errors(entry["example"]) == []
        assert entry["schema"]["type"] == "object"
        assert entry["label"]


def test_staff_without_the_webhook_permissions_are_refused(django_user_model, httpserver):
    support = django_user_model.objects.create_user("soporte", is_staff=True)
    support.user_permissions.set(Permission.objects.filter(codename="view_endpoint"))
    api = APIClient()
    api.force_authenticate(support)
    body = {"target_url": f"http://127.0.0.1:{httpserver.port}/h", "event": "lead.created"}

    assert api.get(URL).status_code == 200  # may look
    assert post(api, URL, body).status_code == 403  # may not subscribe
    endpoint = Endpoint.objects.create(
        url="https://x.example.com", events=[], origin="api", secret="s"
    )
    assert api.delete(f"{URL}{endpoint.pk}/").status_code == 403
    assert post(api, f"{URL}{endpoint.pk}/rotate-secret/", {}).status_code == 403
    assert Endpoint.objects.get().secret == "s"
