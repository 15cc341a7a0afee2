"""Email failover: an email the primary provider surely did not take goes out once through
the secondary; anything that leaves the primary's answer in doubt does not.

Both providers are anymail's real backends talking to one local fake server: Postmark at
/email, Mailgun at /v3/<domain>/messages. Mailgun's accepted answer is the one its API
reference shows for POST /v3/{domain}/messages ({"id": "<...>", "message": "Queued. Thank
you."}, also what anymail's own tests use); the complaint event is tests/fixtures/vendors/
mailgun/complained.json (django-anymail's test data, see its SOURCE.md).
"""

import base64
import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.utils import timezone
from werkzeug.wrappers import Response

from courseops.messaging import tasks
from courseops.messaging.models import Status, Suppression
from courseops.messaging.services import queue_email
from courseops.operations.alerts.services import evaluate_alerts
from courseops.operations.models import Incident
from tests.messaging.conftest import POSTMARK_TOKEN
from tests.messaging.test_email_webhook_doors import MAILGUN_KEY, mailgun_signed

pytestmark = pytest.mark.django_db

DOMAIN = "mg.example.com"
MAILGUN_ID = "<20130718032413.263EE2E0926@example.org>"  # the complaint fixture's message


@pytest.fixture
def providers(settings, httpserver):
    """Postmark primary, Mailgun secondary, both at the fake server; `calls` counts hits."""
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.EMAIL_FAILOVER_BACKEND = "anymail.backends.mailgun.EmailBackend"
    settings.ANYMAIL = {
        "POSTMARK_SERVER_TOKEN": POSTMARK_TOKEN,
        "POSTMARK_API_URL": httpserver.url_for("/"),
        "MAILGUN_API_KEY": "key-test",
        "MAILGUN_SENDER_DOMAIN": DOMAIN,
        "MAILGUN_API_URL": httpserver.url_for("/v3"),
        "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY,
        "WEBHOOK_SECRET": "hook:secret",
        "REQUESTS_TIMEOUT": 0.5,
    }
    calls = {"postmark": [], "mailgun": []}

    def mailgun_accepts(request):
        calls["mailgun"].append(request.form.to_dict())
        body = {"id": MAILGUN_ID, "message": "Queued. Thank you."}
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request(f"/v3/{DOMAIN}/messages", method="POST").respond_with_handler(
        mailgun_accepts
    )
    httpserver.calls = calls
    return httpserver


def postmark_answers(server, status, body=None, delay=0):
    def answer(request):
        server.calls["postmark"].append(json.loads(request.data))
        time.sleep(delay)
        payload = body or {"ErrorCode": 100, "Message": "Service unavailable"}
        return Response(json.dumps(payload), status=status, content_type="application/json")

    server.expect_request("/email", method="POST").respond_with_handler(answer)


def send(capture, key="k1"):
    with capture(execute=True):
        message = queue_email(
            to="ana@example.com", subject="Tu acceso", text="Hola", idempotency_key=key
        )
    message.refresh_from_db()
    return message


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_an_email_the_primary_refuses_goes_out_once_through_the_secondary(
    providers, status, django_capture_on_commit_callbacks
):
    postmark_answers(providers, status)

    message = send(django_capture_on_commit_callbacks)

    assert len(providers.calls["postmark"]) == 1
    assert len(providers.calls["mailgun"]) == 1
    sent = providers.calls["mailgun"][0]
    assert (sent["to"], sent["subject"]) == ("ana@example.com", "Tu acceso")
    assert json.loads(sent["v:outbound_id"]) == message.pk
    assert (message.status, message.attempts) == (Status.SENT, 1)
    assert (message.provider, message.provider_message_id) == ("mailgun", MAILGUN_ID)


def test_an_unreachable_primary_fails_over(providers, settings, django_capture_on_commit_callbacks):
    settings.ANYMAIL = {**settings.ANYMAIL, "POSTMARK_API_URL": "http://127.0.0.1:9/"}

    message = send(django_capture_on_commit_callbacks)

    assert len(providers.calls["mailgun"]) == 1
    assert (message.status, message.provider) == (Status.SENT, "mailgun")


@pytest.mark.parametrize(
    ("status", "delay"),
    [(504, 0), (200, 1.0)],  # a gateway timeout, and no answer within REQUESTS_TIMEOUT
    ids=["gateway-timeout", "read-timeout"],
)
def test_when_the_primary_may_have_sent_it_the_secondary_is_not_asked(
    providers, status, delay, django_capture_on_commit_callbacks
):
    accepted = {"To": "ana@example.com", "MessageID": "pm-1", "ErrorCode": 0, "Message": "OK"}
    postmark_answers(providers, status, body=accepted if status == 200 else None, delay=delay)

    message = send(django_capture_on_commit_callbacks)

    assert providers.calls["mailgun"] == []
    assert message.status == Status.AWAITING_RETRY
    assert message.provider == ""


def test_a_refusal_for_the_email_itself_is_not_offered_to_the_secondary(
    providers, django_capture_on_commit_callbacks
):
    postmark_answers(providers, 422, body={"ErrorCode": 300, "Message": "Invalid email request"})

    message = send(django_capture_on_commit_callbacks)

    assert providers.calls["mailgun"] == []
    assert message.status == Status.FAILED
    assert "Invalid email request" in message.last_error


def test_with_both_down_the_retry_starts_again_at_the_primary(
    providers, settings, django_capture_on_commit_callbacks
):
    settings.ANYMAIL = {**settings.ANYMAIL, "MAILGUN_API_URL": "http://127.0.0.1:9/v3"}
    postmark_answers(providers, 503)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        message = send(django_capture_on_commit_callbacks)
    assert (message.status, message.attempts) == (Status.AWAITING_RETRY, 1)
    assert "Error posting" in message.last_error  # the secondary's error is the last one

    providers.clear()
    providers.expect_request("/email", method="POST").respond_with_json(
        {"To": "ana@example.com", "MessageID": "pm-ok", "ErrorCode": 0, "Message": "OK"}
    )
    with time_machine.travel(message.next_attempt_at, tick=False):
        tasks.send_message.apply(args=[message.pk])
    message.refresh_from_db()

    assert (message.status, message.attempts) == (Status.SENT, 2)
    assert (message.provider, message.provider_message_id) == ("postmark", "pm-ok")


def test_the_secondarys_tracking_events_reach_the_message_it_sent(
    providers, client, django_capture_on_commit_callbacks
):
    postmark_answers(providers, 503)
    message = send(django_capture_on_commit_callbacks)
    payload = json.loads(Path("tests/fixtures/vendors/mailgun/complained.json").read_text())
    payload["event-data"]["recipient"] = "ana@example.com"

    response = client.post(
        "/anymail/mailgun/tracking/",
        mailgun_signed(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"hook:secret").decode(),
    )

    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == Status.COMPLAINED
    assert Suppression.objects.get().address == "ana@example.com"


def test_mail_leaving_through_the_secondary_raises_one_alert_that_resolves(
    providers, django_capture_on_commit_callbacks
):
    postmark_answers(providers, 503)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        send(django_capture_on_commit_callbacks, key="a")
        send(django_capture_on_commit_callbacks, key="b")
        for _ in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                evaluate_alerts(only={"messaging.email_failover"})

    incident = Incident.objects.get()
    assert incident.title == "El proveedor de email postmark está fallando"
    assert incident.detail == "2 emails de la última hora salieron por mailgun."
    assert incident.resolved_at is None

    later = start + timedelta(hours=1, minutes=1)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        evaluate_alerts(only={"messaging.email_failover"})
    incident.refresh_from_db()
    assert incident.resolved_at is not None


def test_a_failover_backend_equal_to_the_primary_stops_the_start(settings):
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.EMAIL_FAILOVER_BACKEND = "anymail.backends.postmark.EmailBackend"

    with pytest.raises(SystemCheckError, match="messaging.E005"):
        call_command("check")


def test_in_production_the_secondary_needs_its_tracking_credential(settings):
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.EMAIL_FAILOVER_BACKEND = "anymail.backends.mailgun.EmailBackend"
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:secret"}  # Mailgun needs its signing key
    settings.PRODUCTION = True

    with pytest.raises(SystemCheckError, match="EMAIL_FAILOVER_BACKEND sends through mailgun"):
        call_command("check")
