"""The admin: an endpoint's secret shown once when created and never again, deliveries
listed in a constant number of queries, replay by staff allowed to, and only them."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courseops.outbound.models import Delivery, Endpoint
from courseops.outbound.services.announce import announce
from courseops.outbound.services.endpoints import endpoint_create
from tests.outbound.conftest import RECEIVER_PATH, received, receiver_url

pytestmark = pytest.mark.django_db
DELIVERIES = reverse("admin:outbound_delivery_changelist")
ENDPOINTS = reverse("admin:outbound_endpoint_changelist")
LEAD = {
    "lead": {
        "id": 7,
        "stage": "lead",
        "first_source": "landing",
        "language": "es",
        "student_id": None,
        "created_at": "2026-11-24T15:00:00Z",
    }
}


@pytest.fixture
def integrator_client(client, integrator):
    client.force_login(integrator)
    return client


def test_an_endpoint_made_in_the_admin_shows_its_secret_once(integrator_client, httpserver):
    response = integrator_client.post(
        reverse("admin:outbound_endpoint_add"),
        {
            "url": receiver_url(httpserver),
            "description": "Hoja de altas",
            "events": ["lead.created"],
        },
        follow=True,
    )

    endpoint = Endpoint.objects.get()
    page = response.content.decode()
    assert re.search(r"whsec_[A-Za-z0-9+/=]{40,}", page)
    assert endpoint.secret in page
    for url in (ENDPOINTS, reverse("admin:outbound_endpoint_change", args=[endpoint.pk])):
        again = integrator_client.get(url).content.decode()
        assert endpoint.secret not in again
        assert "whsec_" not in again


def test_a_private_address_is_a_form_error(integrator_client, settings):
    settings.HTTP_USER_URL_ALLOWED_NETWORKS = []
    response = integrator_client.post(
        reverse("admin:outbound_endpoint_add"),
        {"url": "http://192.168.1.20/hook", "events": ["lead.created"]},
    )

    assert response.status_code == 200
    assert "192.168.1.20" in response.content.decode()
    assert not Endpoint.objects.exists()


def make_deliveries(count):
    Delivery.objects.all().delete()
    endpoint, _ = endpoint_create(
        url="https://hooks.example.com/a", events=["lead.created"], origin="admin"
    )
    for _ in range(count):
        announce("lead.created", LEAD)
    return endpoint


def changelist_queries(client, count):
    make_deliveries(count)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(DELIVERIES)
    assert response.status_code == 200
    assert response.content.decode().count("lead.created") >= count
    return len(queries)


def test_the_delivery_list_loads_in_the_same_number_of_queries_for_2_and_20(integrator_client):
    assert changelist_queries(integrator_client, 2) == changelist_queries(integrator_client, 20)


def test_staff_allowed_to_replay_send_a_delivery_again_with_its_id(
    integrator_client, httpserver, django_capture_on_commit_callbacks
):
    httpserver.expect_request(RECEIVER_PATH, method="POST").respond_with_data("ok")
    endpoint_create(url=receiver_url(httpserver), events=["lead.created"], origin="admin")
    with django_capture_on_commit_callbacks(execute=True):
        event = announce("lead.created", LEAD)
    delivery = Delivery.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = integrator_client.post(
            DELIVERIES, {"action": "replay_selected", "_selected_action": [delivery.pk]}
        )

    assert response.status_code == 302
    ids = [headers["Webhook-Id"] for headers, _body in received(httpserver)]
    assert ids == [event.event_id, event.event_id]
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED
    assert delivery.log.count() == 2


def test_staff_who_may_only_look_cannot_replay(client, django_user_model):
    viewer = django_user_model.objects.create_user("mira", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename__in=["view_delivery"]))
    client.force_login(viewer)
    make_deliveries(1)
    delivery = Delivery.objects.get()

    page = client.get(DELIVERIES).content.decode()
    response = client.post(
        DELIVERIES, {"action": "replay_selected", "_selected_action": [delivery.pk]}
    )

    assert "replay_selected" not in page
    assert response.status_code in (200, 302)
    assert Delivery.objects.get().status == Delivery.Status.PENDING
    assert not delivery.log.exists()
