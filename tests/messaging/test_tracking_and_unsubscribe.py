import base64
import json

import pytest
from django.test import Client
from django.urls import reverse

from courseops.messaging.models import Category, OutboundMessage, Status, Suppression
from courseops.messaging.services import is_suppressed, queue_email, unsubscribe_url

pytestmark = pytest.mark.django_db

AUTH = "Basic " + base64.b64encode(b"hook:secret").decode()


@pytest.fixture
def sent_email(postmark_accepts, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_email(to="ana@example.com", idempotency_key="k", subject="x", text="x")
    message.refresh_from_db()
    assert message.provider_message_id == "pm-1"
    return message


def postmark_event(client, payload, auth=AUTH):
    return client.post(
        "/anymail/postmark/tracking/",
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=auth,
    )


def delivery(message_id="pm-1"):
    return {
        "RecordType": "Delivery",
        "MessageID": message_id,
        "Recipient": "ana@example.com",
        "DeliveredAt": "2026-11-25T12:00:05Z",
        "Details": "Test delivery",
    }


def bounce(kind="HardBounce", message_id="pm-1"):
    return {
        "RecordType": "Bounce",
        "ID": 42,
        "Type": kind,
        "MessageID": message_id,
        "Email": "Ana@example.com",
        "Description": "The server was unable to deliver your message",
        "Details": "smtp;550 5.1.1 user unknown",
        "BouncedAt": "2026-11-25T12:01:00Z",
    }


def test_a_delivery_event_marks_the_message_delivered(client, sent_email):
    assert postmark_event(client, delivery()).status_code == 200

    sent_email.refresh_from_db()
    assert sent_email.status == Status.DELIVERED


def test_a_hard_bounce_marks_the_message_and_suppresses_the_address(client, sent_email):
    assert postmark_event(client, bounce()).status_code == 200

    sent_email.refresh_from_db()
    assert sent_email.status == Status.BOUNCED
    assert "unable to deliver" in sent_email.last_error
    suppression = Suppression.objects.get()
    assert (suppression.address, suppression.reason) == ("ana@example.com", "bounced")


def test_a_soft_bounce_does_not_suppress_the_address(client, sent_email):
    postmark_event(client, bounce(kind="SoftBounce"))

    assert not Suppression.objects.exists()


def test_a_late_delivery_event_never_moves_a_bounced_message_back(client, sent_email):
    postmark_event(client, bounce())
    postmark_event(client, delivery())

    sent_email.refresh_from_db()
    assert sent_email.status == Status.BOUNCED


def test_a_spam_complaint_suppresses_even_transactional_mail(client, sent_email):
    postmark_event(
        client,
        {
            "RecordType": "SpamComplaint",
            "Type": "SpamComplaint",
            "MessageID": "pm-1",
            "Email": "ana@example.com",
            "BouncedAt": "2026-11-25T12:02:00Z",
        },
    )

    sent_email.refresh_from_db()
    assert sent_email.status == Status.COMPLAINED
    assert is_suppressed(channel="email", address="ana@example.com", category="transactional")


def test_a_tracking_webhook_with_wrong_credentials_changes_nothing(client, sent_email):
    bad = "Basic " + base64.b64encode(b"hook:wrong").decode()
    assert postmark_event(client, bounce(), auth=bad).status_code == 400

    sent_email.refresh_from_db()
    assert sent_email.status == Status.SENT
    assert not Suppression.objects.exists()


def test_an_event_for_an_unknown_message_is_accepted_and_ignored(client, sent_email):
    assert postmark_event(client, delivery(message_id="someone-else")).status_code == 200
    sent_email.refresh_from_db()
    assert sent_email.status == Status.SENT


def test_opening_the_unsubscribe_link_only_asks_for_confirmation(client):
    url = unsubscribe_url(address="ana@example.com")
    response = client.get(url)

    assert response.status_code == 200
    assert "ana@example.com" in response.text
    assert '<form method="post">' in response.text
    assert "Confirmar la baja" in response.text
    assert not Suppression.objects.exists()


def test_confirming_on_the_page_unsubscribes(client):
    response = Client(enforce_csrf_checks=True).post(unsubscribe_url(address="ana@example.com"))

    assert response.status_code == 200
    assert "Baja confirmada" in response.text
    assert is_suppressed(channel="email", address="ana@example.com", category=Category.MARKETING)
    assert not is_suppressed(channel="email", address="ana@example.com", category="billing")


def test_the_one_click_post_from_a_mail_client_unsubscribes_without_csrf(
    postmark_accepts, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        queue_email(
            to="ana@example.com",
            idempotency_key="promo",
            subject="Oferta",
            text="x",
            category=Category.MARKETING,
        )
    headers = {h["Name"]: h["Value"] for h in postmark_accepts[0]["Headers"]}
    url = headers["List-Unsubscribe"].strip("<>")

    response = Client(enforce_csrf_checks=True).post(url, data={"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    suppression = Suppression.objects.get()
    assert (suppression.reason, suppression.source) == ("unsubscribed", "one-click")


def test_a_tampered_unsubscribe_link_is_refused_and_suppresses_nothing(client):
    url = unsubscribe_url(address="ana@example.com")
    token = url.rstrip("/").rsplit("/", 1)[1]
    forged = reverse("messaging:unsubscribe", args=[token[:-2] + "xx"])

    assert client.get(forged).status_code == 400
    assert client.post(forged).status_code == 400
    assert not Suppression.objects.exists()


def test_unsubscribing_twice_keeps_one_entry(client):
    url = unsubscribe_url(address="ana@example.com")
    client.post(url)
    client.post(url)

    assert Suppression.objects.count() == 1
    assert OutboundMessage.objects.count() == 0


def test_a_bounce_for_a_malformed_address_is_accepted_without_suppressing(client, sent_email):
    event = bounce()
    event["Email"] = "not an address"

    assert postmark_event(client, event).status_code == 200
    sent_email.refresh_from_db()
    assert sent_email.status == Status.BOUNCED
    assert not Suppression.objects.exists()


def test_engagement_mail_also_carries_the_unsubscribe_headers(
    postmark_accepts, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        queue_email(
            to="ana@example.com",
            idempotency_key="nudge",
            subject="¿Seguimos?",
            text="x",
            category=Category.ENGAGEMENT,
        )

    names = {h["Name"] for h in postmark_accepts[0]["Headers"]}
    assert {"List-Unsubscribe", "List-Unsubscribe-Post"} <= names
