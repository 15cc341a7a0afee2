"""Webhook URLs skip the middleware that serves people (courseops/core/lean.py) and keep
the security headers, the HTTPS redirect, the signature checks and the durable row."""

import base64
import json

import pytest
from structlog.testing import capture_logs

from courseops.conf import production_security_settings
from courseops.webhooks.models import WebhookEvent
from tests.webhooks.conftest import generic_headers, generic_post

pytestmark = pytest.mark.django_db

HTTPS = {"X-Forwarded-Proto": "https"}


def signed_generic(client, payload, *, headers=None, **options):
    body = json.dumps(payload).encode()
    return client.post(
        "/webhooks/generic/",
        data=body,
        content_type="application/json",
        headers={**generic_headers(body, **options), **(headers or {})},
    )


@pytest.fixture
def production(settings):
    for name, value in production_security_settings().items():
        setattr(settings, name, value)
    settings.DEBUG = False
    return settings


def test_a_webhook_request_runs_no_session_auth_csrf_or_request_log_middleware(client):
    client.cookies["sessionid"] = "a-session-a-vendor-would-never-send"

    with capture_logs() as logs:
        response = generic_post(client, {"type": "registration.created"})

    assert response.status_code == 200
    request = response.wsgi_request
    assert not hasattr(request, "session")
    assert not hasattr(request, "user")
    assert not hasattr(request, "_messages")
    assert "Vary" not in response  # no session or language middleware looked at it
    assert not response.cookies
    assert [log["event"] for log in logs if log["event"].startswith("request_")] == []


def test_every_other_url_still_runs_the_session_auth_and_request_log_middleware(client):
    with capture_logs() as logs:
        response = client.get("/health/")

    request = response.wsgi_request
    assert hasattr(request, "session")
    assert request.user.is_anonymous
    assert [log["event"] for log in logs if log["event"].startswith("request_")] == [
        "request_started",
        "request_finished",
    ]


def test_a_webhook_answer_keeps_the_security_headers(client, production):
    response = signed_generic(client, {"type": "registration.created"}, headers=HTTPS)

    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_with_production_settings_a_plain_http_webhook_is_redirected_not_stored(client, production):
    response = generic_post(client, {"type": "registration.created"})

    assert response.status_code == 301
    assert response["Location"].startswith("https://")
    assert not WebhookEvent.objects.exists()


def test_with_production_settings_unsigned_and_badly_signed_webhooks_are_refused(
    client, production
):
    body = json.dumps({"type": "registration.created"}).encode()
    unsigned = client.post(
        "/webhooks/generic/", data=body, content_type="application/json", headers=HTTPS
    )
    wrong_key = signed_generic(
        client, {"type": "registration.created"}, headers=HTTPS, key=b"x" * 32
    )
    signed = signed_generic(client, {"type": "registration.created"}, headers=HTTPS)

    assert (unsigned.status_code, wrong_key.status_code, signed.status_code) == (401, 401, 200)
    assert WebhookEvent.objects.count() == 1


def test_a_rejection_is_logged_at_warning_with_a_request_id_that_does_not_outlive_it(client):
    import io
    import logging

    import structlog

    from courseops.core.logging import formatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("json"))
    logger = logging.getLogger("courseops.webhooks")
    logger.addHandler(handler)
    try:
        response = signed_generic(client, {"type": "registration.created"}, key=b"x" * 32)
    finally:
        logger.removeHandler(handler)

    assert response.status_code == 401
    [rejected] = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert (rejected["event"], rejected["level"]) == ("webhook.rejected", "warning")
    assert len(rejected["request_id"]) == 36
    assert structlog.contextvars.get_contextvars() == {}


def test_an_unknown_webhook_url_still_gets_django_s_404(client):
    response = client.post("/webhooks/Not A Provider/", data=b"{}", content_type="application/json")

    assert response.status_code == 404


def test_a_rotated_generic_secret_is_used_on_the_next_request(client, settings):
    new_key = b"fedcba9876543210fedcba9876543210"
    assert signed_generic(client, {"type": "a"}, event_id="before").status_code == 200

    settings.GENERIC_WEBHOOK_SECRET = "whsec_" + base64.b64encode(new_key).decode()

    old = signed_generic(client, {"type": "a"}, event_id="old-key")
    new = signed_generic(client, {"type": "a"}, event_id="new-key", key=new_key)
    assert (old.status_code, new.status_code) == (401, 200)
    assert set(WebhookEvent.objects.values_list("event_id", flat=True)) == {"before", "new-key"}
