"""Outbound webhooks' fixtures: a receiver on 127.0.0.1 (pytest-httpserver), the SSRF
guard opened for it alone, and a staff member who may manage webhooks and nothing else.

Signatures are checked with the `standardwebhooks` library, as a receiver would."""

import json

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient
from standardwebhooks.webhooks import Webhook

RECEIVER_PATH = "/hooks/zapier"


@pytest.fixture(autouse=True)
def _loopback_receiver(settings):
    # Production refuses private addresses for URLs people give; the test receiver is
    # the one address opened here (as HTTP_USER_URL_ALLOWED_NETWORKS allows operators).
    settings.HTTP_USER_URL_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.OUTBOUND_WEBHOOKS_TIMEOUT = 5


@pytest.fixture
def integrator(django_user_model):
    """Staff who manage webhooks and nothing else (not a superuser)."""
    user = django_user_model.objects.create_user(
        username="integra", password="pw-integra-1234", is_staff=True
    )
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="outbound"))
    return user


@pytest.fixture
def integrator_api(integrator):
    client = APIClient()
    client.force_authenticate(integrator)
    return client


@pytest.fixture
def receiver(httpserver):
    """Answers 200 to every POST on RECEIVER_PATH (tests add failures before it)."""
    httpserver.expect_request(RECEIVER_PATH, method="POST").respond_with_data("ok")
    return httpserver


def receiver_url(httpserver, path=RECEIVER_PATH):
    # By address: the guard refuses the name "localhost" whatever the allowed networks.
    return f"http://127.0.0.1:{httpserver.port}{path}"


def received(httpserver, path=RECEIVER_PATH):
    """(headers, body bytes) of every request on `path`, in order."""
    return [
        (dict(request.headers), request.get_data())
        for request, _response in httpserver.log
        if request.path == path
    ]


def verified(secret, headers, body):
    """The payload, verified with the standardwebhooks library (raises if the signature
    or the timestamp is wrong)."""
    return Webhook(secret).verify(body, headers)


def subscribe(api, url, events, **extra):
    response = api.post(
        "/api/v1/webhooks/subscriptions/",
        data=json.dumps({"target_url": url, "events": events, **extra}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()
