"""The email providers' webhook doors fail closed: no credential, no entry.

Payloads are the vendors' own, from django-anymail's test suite (see SOURCE.md beside each
fixture under tests/fixtures/vendors/)."""

import base64
import hashlib
import hmac
import json
from pathlib import Path

import pytest
from django.core.checks import run_checks

from courseops.messaging.email_webhooks import DOORS
from courseops.messaging.models import Suppression
from engagement.models import Question

pytestmark = pytest.mark.django_db

VENDORS = Path(__file__).resolve().parent.parent / "fixtures" / "vendors"
SECRET = "hook:s3cret"
AUTH = "Basic " + base64.b64encode(SECRET.encode()).decode()
MAILGUN_KEY = "mailgun-signing-key"
HELP = "mailbox+samplehash@inbound.postmarkapp.com"


def vendor_payload(vendor, name):
    return json.loads((VENDORS / vendor / f"{name}.json").read_text())


def post(client, url, payload, **headers):
    body = payload if isinstance(payload, bytes) else json.dumps(payload)
    return client.post(url, data=body, content_type="application/json", **headers)


@pytest.fixture
def no_credentials(settings):
    settings.ANYMAIL = {}
    settings.HELP_INBOX_ADDRESS = HELP


@pytest.fixture
def basic_auth(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    settings.HELP_INBOX_ADDRESS = HELP


def inbound_from_student():
    payload = vendor_payload("postmark", "inbound")
    payload["FromFull"] = {"Email": "lucia@example.com", "Name": "Lucía", "MailboxHash": ""}
    payload["From"] = "lucia@example.com"
    return payload


@pytest.mark.parametrize("record", ["subscription_change", "spam_complaint"])
def test_an_unsigned_postmark_event_is_refused_when_no_secret_is_set(
    client, no_credentials, record
):
    response = post(client, "/anymail/postmark/tracking/", vendor_payload("postmark", record))

    assert response.status_code == 403
    assert "ANYMAIL_WEBHOOK_SECRET" in response.json()["detail"]
    assert not Suppression.objects.exists()


def test_an_unsigned_postmark_inbound_email_creates_no_question(client, no_credentials):
    response = post(client, "/anymail/postmark/inbound/", inbound_from_student())

    assert response.status_code == 403
    assert not Question.objects.exists()


@pytest.mark.parametrize("record", ["subscription_change", "spam_complaint"])
def test_a_postmark_event_without_the_configured_auth_is_refused(client, basic_auth, record):
    response = post(client, "/anymail/postmark/tracking/", vendor_payload("postmark", record))

    assert response.status_code == 400
    assert not Suppression.objects.exists()


@pytest.mark.parametrize(
    ("record", "address", "reason"),
    [
        ("subscription_change", "john@example.com", "unsubscribed"),
        ("spam_complaint", "spam@example.com", "complained"),
    ],
)
def test_a_signed_postmark_event_suppresses_the_address(
    client, basic_auth, record, address, reason
):
    response = post(
        client,
        "/anymail/postmark/tracking/",
        vendor_payload("postmark", record),
        HTTP_AUTHORIZATION=AUTH,
    )

    assert response.status_code == 200
    assert list(Suppression.objects.values_list("address", "reason")) == [(address, reason)]


def test_an_email_provider_event_runs_none_of_the_middleware_that_serves_people(client, basic_auth):
    """Email providers post several events per email sent (courseops/core/lean.py): the
    door takes them without sessions, sign-in or request log lines, and still verifies."""
    client.cookies["sessionid"] = "a-session-a-provider-would-never-send"

    response = post(
        client,
        "/anymail/postmark/tracking/",
        vendor_payload("postmark", "spam_complaint"),
        HTTP_AUTHORIZATION=AUTH,
    )
    refused = post(
        client, "/anymail/postmark/tracking/", vendor_payload("postmark", "spam_complaint")
    )

    assert response.status_code == 200
    assert not hasattr(response.wsgi_request, "session")
    assert not hasattr(response.wsgi_request, "user")
    assert not response.cookies
    assert Suppression.objects.filter(address="spam@example.com").exists()
    assert refused.status_code in (400, 401, 403)


def test_a_signed_postmark_inbound_email_becomes_a_question(client, basic_auth):
    response = post(
        client, "/anymail/postmark/inbound/", inbound_from_student(), HTTP_AUTHORIZATION=AUTH
    )

    assert response.status_code == 200
    question = Question.objects.get()
    assert question.email == "lucia@example.com"
    assert question.text.startswith("Test subject")


def mailgun_signed(payload, key=MAILGUN_KEY, token="1234567890abcdef1234567890abcdef"):
    timestamp = str(int(payload["event-data"]["timestamp"]))
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256)
    payload["signature"] = {
        "timestamp": timestamp,
        "token": token,
        "signature": signature.hexdigest(),
    }
    return payload


def test_mailgun_without_its_signing_key_answers_403_not_500(client, settings):
    settings.ANYMAIL = {"MAILGUN_API_KEY": "key-api", "WEBHOOK_SECRET": SECRET}
    payload = mailgun_signed(vendor_payload("mailgun", "complained"), key="key-api")

    response = post(client, "/anymail/mailgun/tracking/", payload, HTTP_AUTHORIZATION=AUTH)

    assert response.status_code == 403
    assert "MAILGUN_WEBHOOK_SIGNING_KEY" in response.json()["detail"]
    assert not Suppression.objects.exists()


def test_mailgun_works_with_its_signing_key(client, settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY}
    payload = mailgun_signed(vendor_payload("mailgun", "complained"))

    response = post(client, "/anymail/mailgun/tracking/", payload)

    assert response.status_code == 200
    assert Suppression.objects.get().address == "recipient@example.com"


def test_mailgun_refuses_a_wrong_signature(client, settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY}
    payload = mailgun_signed(vendor_payload("mailgun", "complained"), key="forged")

    assert post(client, "/anymail/mailgun/tracking/", payload).status_code == 400
    assert not Suppression.objects.exists()


def test_a_body_over_one_mebibyte_is_refused_before_anymail_reads_it(client, basic_auth):
    payload = inbound_from_student()
    payload["Attachments"][0]["Data"] = base64.b64encode(b"x" * 1_000_000).decode()
    body = json.dumps(payload).encode()
    assert len(body) > 1_300_000

    response = post(client, "/anymail/postmark/inbound/", body, HTTP_AUTHORIZATION=AUTH)

    assert response.status_code == 413
    assert not Question.objects.exists()


@pytest.mark.parametrize("door", DOORS, ids=lambda d: f"{d.provider}-{d.kind}")
def test_every_mounted_door_refuses_everything_without_a_credential(client, settings, door):
    settings.ANYMAIL = {"MAILGUN_API_KEY": "key-api", "RESEND_API_KEY": "re_x"}
    url = f"/anymail/{door.provider}/{door.kind}/"

    response = client.post(url, data="{}", content_type="application/json")

    assert response.status_code == 403


@pytest.mark.parametrize("url", ["/anymail/sparkpost/tracking/", "/anymail/mandrill/"])
def test_providers_we_do_not_support_are_not_mounted(client, url):
    assert client.post(url, data="{}", content_type="application/json").status_code == 404


def check_ids(*, deploy):
    return {message.id for message in run_checks(include_deployment_checks=deploy)}


@pytest.mark.parametrize(
    ("backend", "credentials"),
    [
        ("anymail.backends.postmark.EmailBackend", {"WEBHOOK_SECRET": SECRET}),
        ("anymail.backends.mailgun.EmailBackend", {"MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY}),
        ("anymail.backends.resend.EmailBackend", {"RESEND_SIGNING_SECRET": "whsec_AAAA"}),
    ],
)
def test_check_deploy_errors_on_an_email_backend_without_its_webhook_credential(
    settings, backend, credentials
):
    settings.EMAIL_BACKEND = backend
    settings.HELP_INBOX_ADDRESS = ""
    settings.ANYMAIL = {"MAILGUN_API_KEY": "key-api"}
    assert "messaging.E003" in check_ids(deploy=True)
    assert "messaging.E003" not in check_ids(deploy=False)  # development starts anyway

    settings.ANYMAIL = credentials
    assert "messaging.E003" not in check_ids(deploy=True)


def test_in_production_the_missing_credential_stops_every_command(settings):
    settings.PRODUCTION = True
    settings.EMAIL_BACKEND = "anymail.backends.brevo.EmailBackend"
    settings.ANYMAIL = {"BREVO_API_KEY": "xkeysib"}

    assert "messaging.E003" in check_ids(deploy=False)
    assert [m.id for m in run_checks(include_deployment_checks=True)].count("messaging.E003") == 1


def test_the_inbound_door_is_checked_only_when_inbound_email_is_read(settings):
    settings.EMAIL_BACKEND = "anymail.backends.resend.EmailBackend"
    settings.ANYMAIL = {"RESEND_SIGNING_SECRET": "whsec_AAAA"}
    settings.HELP_INBOX_ADDRESS = ""
    assert "messaging.E003" not in check_ids(deploy=True)

    settings.HELP_INBOX_ADDRESS = "ayuda@example.com"
    assert "messaging.E003" in check_ids(deploy=True)
