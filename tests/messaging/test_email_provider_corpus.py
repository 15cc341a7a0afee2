"""SendGrid, Amazon SES, Brevo and Resend at our email doors, on their real payloads.

The payloads are django-anymail's own test data (see SOURCE.md beside each fixture under
tests/fixtures/vendors/), sent through `/anymail/<provider>/...` with each provider's real
verification: SendGrid's signed event webhook (ECDSA over timestamp + body), Resend's Svix
signature (made by `svix` itself), and the basic-auth secret for Amazon SES (through SNS)
and Brevo, which sign nothing anymail checks.
"""

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.checks import run_checks
from svix.webhooks import Webhook

from courseops.messaging.models import Channel, OutboundMessage, Status, Suppression
from engagement.models import Question

pytestmark = pytest.mark.django_db

VENDORS = Path(__file__).resolve().parent.parent / "fixtures" / "vendors"
SECRET = "hook:s3cret"
AUTH = "Basic " + base64.b64encode(SECRET.encode()).decode()
RESEND_SECRET = "whsec_" + base64.b64encode(b"resend-signing-secret-for-tests").decode()


def raw(provider, name):
    return (VENDORS / provider / f"{name}.json").read_text()


@pytest.fixture(scope="module")
def sendgrid_key():
    return ec.generate_private_key(ec.SECP256R1())


def sendgrid_public_key(private_key):
    """The key as SendGrid shows it: the base64 DER SubjectPublicKeyInfo, no PEM lines."""
    der = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def sendgrid_headers(private_key, body, timestamp="1700000000"):
    signature = private_key.sign((timestamp + body).encode(), ec.ECDSA(hashes.SHA256()))
    return {
        "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE": base64.b64encode(signature).decode(),
        "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP": timestamp,
    }


def resend_headers(body, secret=RESEND_SECRET, msg_id="msg_corpus0000000000000001"):
    timestamp = datetime.now(tz=UTC)
    signature = Webhook(secret).sign(msg_id=msg_id, timestamp=timestamp, data=body)
    return {
        "HTTP_SVIX_ID": msg_id,
        "HTTP_SVIX_TIMESTAMP": str(int(timestamp.timestamp())),
        "HTTP_SVIX_SIGNATURE": signature,
    }


def sns_headers(body):
    message = json.loads(body)
    return {
        "HTTP_X_AMZ_SNS_MESSAGE_ID": message["MessageId"],
        "HTTP_X_AMZ_SNS_MESSAGE_TYPE": message["Type"],
    }


@pytest.fixture
def credentials(settings, sendgrid_key):
    """Each provider verified by its own means alone (with WEBHOOK_SECRET set as well,
    anymail would demand basic auth on top of SendGrid's and Resend's signatures)."""

    def configure(provider):
        settings.ANYMAIL = {
            # Brevo's inbound door needs the API key to fetch attachments.
            "brevo": {"WEBHOOK_SECRET": SECRET, "BREVO_API_KEY": "xkeysib-test"},
            "amazon_ses": {"WEBHOOK_SECRET": SECRET},
            "sendgrid": {
                "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": sendgrid_public_key(sendgrid_key)
            },
            "resend": {"RESEND_SIGNING_SECRET": RESEND_SECRET},
        }[provider]

    return configure


def signed(provider, body, sendgrid_key):
    """Headers that authenticate `body` at `provider`'s tracking door."""
    if provider == "sendgrid":
        return sendgrid_headers(sendgrid_key, body)
    if provider == "resend":
        return resend_headers(body)
    if provider == "amazon_ses":
        return {**sns_headers(body), "HTTP_AUTHORIZATION": AUTH}
    return {"HTTP_AUTHORIZATION": AUTH}


def unsigned(provider, body):
    return sns_headers(body) if provider == "amazon_ses" else {}


def post(client, provider, kind, body, headers):
    # SNS posts its JSON as text/plain; the others as application/json.
    content_type = "text/plain; charset=UTF-8" if provider == "amazon_ses" else "application/json"
    return client.post(
        f"/anymail/{provider}/{kind}/", data=body, content_type=content_type, **headers
    )


def sent_email(recipient, provider_message_id):
    return OutboundMessage.objects.create(
        channel=Channel.EMAIL,
        recipient=recipient,
        subject="Bienvenida",
        text_body="Hola",
        idempotency_key=f"corpus:{provider_message_id}",
        status=Status.SENT,
        provider="anymail",
        provider_message_id=provider_message_id,
    )


BREVO_ID = "<201803011158.9876543210@smtp-relay.mailin.fr>"
RESEND_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
SES_BOUNCE_ID = "00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000"

# (provider, fixture, the message id the provider reports, its recipient,
#  the outbox status that follows, the suppression reason or None)
EVENTS = [
    ("sendgrid", "delivered", "4ab185c2-0171-492f-9ce0-27de258efc99", "recipient@example.com",
     Status.DELIVERED, None),
    ("sendgrid", "bounce", "de212213-bb66-4302-8f3f-20acdb7a104e", "noreply@example.com",
     Status.BOUNCED, "bounced"),
    ("sendgrid", "dropped_bounced", "<14c5d75ce93.dfd.64b469@ismtpd-555>", "example@example.com",
     Status.BOUNCED, "bounced"),
    ("sendgrid", "dropped_unsubscribed", "a36ec0f9-aabe-45c7-9a84-3e17afb5cb65",
     "unsubscribe@example.com", Status.BOUNCED, "unsubscribed"),
    ("amazon_ses", "delivery", "0000014644fe5ef6-9a483358-9170-4cb4-a269-f5dcdf415321-000000",
     "jane@example.com", Status.DELIVERED, None),
    ("amazon_ses", "bounce", SES_BOUNCE_ID, "jane@example.com", Status.BOUNCED, "bounced"),
    ("amazon_ses", "complaint", "000001378603177f-7a5433e7-8edb-42ae-af10-f0181f34d6ee-000000",
     "richard@example.com", Status.COMPLAINED, "complained"),
    ("brevo", "delivered", BREVO_ID, "recipient@example.com", Status.DELIVERED, None),
    ("brevo", "hard_bounce", BREVO_ID, "not-a-user@example.com", Status.BOUNCED, "bounced"),
    ("brevo", "spam", BREVO_ID, "recipient@example.com", Status.COMPLAINED, "complained"),
    ("brevo", "complaint", "201798300811.5787683@relay.domain.com", "example@domain.com",
     Status.COMPLAINED, "complained"),
    ("brevo", "unsubscribe", BREVO_ID, "recipient@example.com", Status.SENT, "unsubscribed"),
    ("resend", "delivered", RESEND_ID, "to@example.org", Status.DELIVERED, None),
    ("resend", "bounced", RESEND_ID, "bounced@resend.dev", Status.BOUNCED, "bounced"),
    # Resend's own suppression list: reported as "blocked", a bounce we do not treat as hard.
    ("resend", "suppressed", RESEND_ID, "blocked@example.org", Status.BOUNCED, None),
    ("resend", "complained", RESEND_ID, "complained@resend.dev", Status.COMPLAINED, "complained"),
]  # fmt: skip
EVENT_IDS = [f"{e[0]}-{e[1]}" for e in EVENTS]


@pytest.mark.parametrize(
    ("provider", "fixture", "message_id", "address", "status", "reason"), EVENTS, ids=EVENT_IDS
)
def test_a_verified_event_moves_the_outbox_message_and_suppresses_as_the_provider_says(
    client, credentials, sendgrid_key, provider, fixture, message_id, address, status, reason
):
    credentials(provider)
    message = sent_email(address, message_id)
    body = raw(provider, fixture)

    response = post(client, provider, "tracking", body, signed(provider, body, sendgrid_key))

    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == status
    expected = [(address, reason)] if reason else []
    assert list(Suppression.objects.values_list("address", "reason")) == expected


@pytest.mark.parametrize(
    ("provider", "fixture", "message_id", "address", "status", "reason"), EVENTS, ids=EVENT_IDS
)
def test_an_unsigned_event_is_refused_and_changes_nothing(
    client, credentials, provider, fixture, message_id, address, status, reason
):
    credentials(provider)
    message = sent_email(address, message_id)
    body = raw(provider, fixture)

    response = post(client, provider, "tracking", body, unsigned(provider, body))

    # Amazon SNS only sends basic auth after a 401 challenge; the others answer 400.
    assert response.status_code == (401 if provider == "amazon_ses" else 400)
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert not Suppression.objects.exists()


def test_a_sendgrid_event_signed_with_another_key_is_refused(client, credentials):
    credentials("sendgrid")
    message = sent_email("noreply@example.com", "de212213-bb66-4302-8f3f-20acdb7a104e")
    body = raw("sendgrid", "bounce")
    forger = ec.generate_private_key(ec.SECP256R1())

    response = post(client, "sendgrid", "tracking", body, sendgrid_headers(forger, body))

    assert response.status_code == 400
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert not Suppression.objects.exists()


def test_a_sendgrid_event_signed_for_another_body_is_refused(client, credentials, sendgrid_key):
    credentials("sendgrid")
    body = raw("sendgrid", "bounce")
    headers = sendgrid_headers(sendgrid_key, raw("sendgrid", "delivered"))

    assert post(client, "sendgrid", "tracking", body, headers).status_code == 400
    assert not Suppression.objects.exists()


def test_sendgrid_with_basic_auth_alone_is_verified_by_it(client, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    body = raw("sendgrid", "bounce")

    assert post(client, "sendgrid", "tracking", body, {}).status_code == 400
    response = post(client, "sendgrid", "tracking", body, {"HTTP_AUTHORIZATION": AUTH})

    assert response.status_code == 200
    assert Suppression.objects.get().address == "noreply@example.com"


def test_a_resend_event_signed_with_another_secret_is_refused(client, credentials):
    credentials("resend")
    body = raw("resend", "complained")
    forged = "whsec_" + base64.b64encode(b"someone-else").decode()

    response = post(client, "resend", "tracking", body, resend_headers(body, secret=forged))

    assert response.status_code == 400
    assert not Suppression.objects.exists()


def test_an_ses_event_with_the_wrong_password_is_refused(client, credentials):
    credentials("amazon_ses")
    body = raw("amazon_ses", "complaint")
    wrong = "Basic " + base64.b64encode(b"hook:guess").decode()

    response = post(
        client, "amazon_ses", "tracking", body, {**sns_headers(body), "HTTP_AUTHORIZATION": wrong}
    )

    assert response.status_code == 400
    assert not Suppression.objects.exists()


# (provider, fixture, the help address the payload is sent to, its sender, its subject)
INBOUND = [
    ("brevo", "inbound", "test@anymail.dev", "from@example.com", "Testing Brevo inbound"),
    ("amazon_ses", "inbound", "inbound@example.com", "from@example.org", "Test inbound message"),
]


@pytest.mark.parametrize(
    ("provider", "fixture", "help_address", "sender", "subject"),
    INBOUND,
    ids=[i[0] for i in INBOUND],
)
def test_a_verified_inbound_email_becomes_a_question(
    client, credentials, settings, provider, fixture, help_address, sender, subject
):
    credentials(provider)
    settings.HELP_INBOX_ADDRESS = help_address
    body = raw(provider, fixture)

    response = post(client, provider, "inbound", body, signed(provider, body, None))

    assert response.status_code == 200
    question = Question.objects.get()
    assert question.email == sender
    assert question.text.startswith(subject)


@pytest.mark.parametrize(
    ("provider", "fixture", "help_address", "sender", "subject"),
    INBOUND,
    ids=[i[0] for i in INBOUND],
)
def test_an_unsigned_inbound_email_creates_no_question(
    client, credentials, settings, provider, fixture, help_address, sender, subject
):
    credentials(provider)
    settings.HELP_INBOX_ADDRESS = help_address
    body = raw(provider, fixture)

    response = post(client, provider, "inbound", body, unsigned(provider, body))

    assert response.status_code in (400, 401)
    assert not Question.objects.exists()


def test_a_sendgrid_blocked_bounce_is_soft_and_suppresses_nothing(client, credentials, settings):
    """SendGrid's bounce event carries `type`: "bounce" (hard) or "blocked" (soft)."""
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    message = sent_email("noreply@example.com", "de212213-bb66-4302-8f3f-20acdb7a104e")
    events = json.loads(raw("sendgrid", "bounce"))
    events[0]["type"] = "blocked"

    response = post(
        client, "sendgrid", "tracking", json.dumps(events), {"HTTP_AUTHORIZATION": AUTH}
    )

    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == Status.BOUNCED
    assert not Suppression.objects.exists()


# SendGrid's Inbound Parse posts form fields (multipart), parsed or with the raw MIME.
SENDGRID_INBOUND = [
    ("inbound_parse", "from+test@example.org", "Test subject"),
    ("inbound_mime", "test@example.org", "Raw MIME test"),
]


@pytest.mark.parametrize(
    ("fixture", "sender", "subject"), SENDGRID_INBOUND, ids=[i[0] for i in SENDGRID_INBOUND]
)
def test_a_sendgrid_inbound_parse_post_with_basic_auth_becomes_a_question(
    client, settings, fixture, sender, subject
):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    settings.HELP_INBOX_ADDRESS = "test@inbound.example.com"
    fields = json.loads(raw("sendgrid", fixture))

    assert client.post("/anymail/sendgrid/inbound/", data=fields).status_code == 400
    assert not Question.objects.exists()

    response = client.post("/anymail/sendgrid/inbound/", data=fields, HTTP_AUTHORIZATION=AUTH)

    assert response.status_code == 200
    question = Question.objects.get()
    assert question.email == sender
    assert question.text.startswith(subject)


RESEND_EMAIL_ID = "56761188-7520-42d8-8898-ff6fc54ce618"


@pytest.fixture
def resend_api(httpserver, settings):
    """Resend's API at the HTTP boundary: the received email anymail fetches by its id."""
    settings.ANYMAIL = {
        "RESEND_INBOUND_SECRET": RESEND_SECRET,
        "RESEND_API_KEY": "re_test",
        "RESEND_API_URL": httpserver.url_for("/"),
    }
    settings.HELP_INBOX_ADDRESS = "recipient@example.org"
    httpserver.expect_request(
        f"/emails/receiving/{RESEND_EMAIL_ID}",
        method="GET",
        headers={"Authorization": "Bearer re_test"},
    ).respond_with_json(json.loads(raw("resend", "inbound_api_email")))
    return httpserver


def test_a_signed_resend_inbound_email_is_fetched_and_becomes_a_question(client, resend_api):
    body = raw("resend", "inbound_received")

    response = post(client, "resend", "inbound", body, resend_headers(body))

    assert response.status_code == 200
    question = Question.objects.get()
    assert (question.email, question.text) == ("from@example.com", "Test subject\n\nHi")
    assert question.message_id == "<msg@example.com>"


def test_an_unsigned_resend_inbound_email_is_refused_before_anything_is_fetched(client, resend_api):
    body = raw("resend", "inbound_received")
    forged = "whsec_" + base64.b64encode(b"someone-else").decode()

    assert post(client, "resend", "inbound", body, {}).status_code == 400
    assert post(client, "resend", "inbound", body, resend_headers(body, forged)).status_code == 400
    assert resend_api.log == []
    assert not Question.objects.exists()


@pytest.mark.parametrize(
    ("provider", "fixture", "anymail", "missing"),
    [
        ("brevo", "inbound", {"WEBHOOK_SECRET": SECRET}, "BREVO_API_KEY"),
        ("resend", "inbound_received", {"RESEND_INBOUND_SECRET": RESEND_SECRET}, "RESEND_API_KEY"),
    ],
)
def test_an_inbound_door_without_the_api_key_it_fetches_with_is_off_not_a_500(
    client, settings, provider, fixture, anymail, missing
):
    settings.ANYMAIL = anymail
    settings.HELP_INBOX_ADDRESS = "recipient@example.org"
    body = raw(provider, fixture)
    headers = resend_headers(body) if provider == "resend" else {"HTTP_AUTHORIZATION": AUTH}

    response = post(client, provider, "inbound", body, headers)

    assert response.status_code == 403
    assert missing in response.json()["detail"]
    assert not Question.objects.exists()


def test_check_deploy_names_the_api_key_an_inbound_door_needs(settings):
    settings.EMAIL_BACKEND = "anymail.backends.resend.EmailBackend"
    settings.HELP_INBOX_ADDRESS = "ayuda@example.com"
    settings.ANYMAIL = {
        "RESEND_SIGNING_SECRET": RESEND_SECRET,
        "RESEND_INBOUND_SECRET": RESEND_SECRET,
    }

    hints = [m.hint for m in run_checks(include_deployment_checks=True) if m.id == "messaging.E003"]
    assert len(hints) == 1
    assert "RESEND_API_KEY" in hints[0]

    settings.ANYMAIL = {**settings.ANYMAIL, "RESEND_API_KEY": "re_live"}
    assert "messaging.E003" not in {m.id for m in run_checks(include_deployment_checks=True)}
