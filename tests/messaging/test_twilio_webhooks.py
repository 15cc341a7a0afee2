"""Twilio's status callbacks and inbound SMS reach the outbox through the webhook inbox."""

from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from courseops.messaging.models import OutboundMessage, Status
from courseops.messaging.services import is_suppressed, queue_sms
from courseops.webhooks.models import WebhookEvent

TOKEN = "twilio-auth-token-for-tests"
SITE_URL = "https://ops.example.com"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _twilio_account(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.SITE_URL = SITE_URL


def post_signed(client, params, django_capture_on_commit_callbacks):
    signature = RequestValidator(TOKEN).compute_signature(f"{SITE_URL}/webhooks/twilio/", params)
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(
            "/webhooks/twilio/",
            data=urlencode(params),
            content_type="application/x-www-form-urlencoded",
            headers={"X-Twilio-Signature": signature},
        )


@pytest.fixture
def sent_sms():
    message = queue_sms(
        to="+525512345678", body="Tu webinar empieza en 10 min", idempotency_key="k1"
    )
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=Status.SENT, provider_message_id="SM123"
    )
    return message


def test_a_delivered_callback_marks_the_sms_delivered(
    client, sent_sms, django_capture_on_commit_callbacks
):
    response = post_signed(
        client,
        {"MessageSid": "SM123", "MessageStatus": "delivered", "To": "+525512345678"},
        django_capture_on_commit_callbacks,
    )

    assert response.status_code == 200
    sent_sms.refresh_from_db()
    assert sent_sms.status == Status.DELIVERED
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.PROCESSED


def test_a_late_sent_callback_does_not_undo_delivered(
    client, sent_sms, django_capture_on_commit_callbacks
):
    post_signed(
        client,
        {"MessageSid": "SM123", "MessageStatus": "delivered"},
        django_capture_on_commit_callbacks,
    )
    post_signed(
        client, {"MessageSid": "SM123", "MessageStatus": "sent"}, django_capture_on_commit_callbacks
    )

    sent_sms.refresh_from_db()
    assert sent_sms.status == Status.DELIVERED


def test_an_inbound_stop_suppresses_the_number(client, django_capture_on_commit_callbacks):
    post_signed(
        client,
        {"MessageSid": "SM999", "From": "+525512345678", "To": "+15005550006", "Body": "BAJA"},
        django_capture_on_commit_callbacks,
    )

    assert is_suppressed(channel="sms", address="+525512345678")
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.PROCESSED


def test_an_inbound_sms_from_an_unusable_number_fails_permanently(
    client, django_capture_on_commit_callbacks
):
    post_signed(
        client,
        {"MessageSid": "SM998", "From": "not-a-number", "Body": "STOP"},
        django_capture_on_commit_callbacks,
    )

    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.FAILED
    assert "Unusable sender number" in event.last_error
