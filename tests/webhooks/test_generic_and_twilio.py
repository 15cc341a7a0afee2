import base64
import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from courseops.webhooks.models import WebhookEvent
from tests.webhooks.conftest import (
    GENERIC_KEY,
    SITE_URL,
    TWILIO_TOKEN,
    generic_headers,
    generic_post,
    twilio_post,
)

pytestmark = pytest.mark.django_db


# --- Generic (Standard Webhooks) -------------------------------------------------------


def test_a_generic_event_signed_as_documented_is_stored_with_its_type(client):
    response = generic_post(
        client, {"type": "registration.created", "data": {"email": "a@b.co"}}, event_id="z-1"
    )

    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.provider, event.event_id, event.event_type) == (
        "generic",
        "z-1",
        "registration.created",
    )
    assert event.headers["Webhook-Id"] == "z-1"


def test_a_generic_replay_outside_the_5_minute_window_is_rejected(client):
    response = generic_post(client, {"type": "x"}, timestamp=int(time.time()) - 301)

    assert response.status_code == 401
    assert "window" in response.json()["detail"]
    assert not WebhookEvent.objects.exists()


def test_a_generic_timestamp_from_the_future_is_rejected_too(client):
    response = generic_post(client, {"type": "x"}, timestamp=int(time.time()) + 301)

    assert response.status_code == 401


def test_a_generic_timestamp_within_the_window_is_accepted(client):
    response = generic_post(client, {"type": "x"}, timestamp=int(time.time()) - 290)

    assert response.status_code == 200


def test_changing_the_event_id_breaks_the_generic_signature(client):
    """The id is signed: a captured request cannot be replayed under a fresh id."""
    body = json.dumps({"type": "x"}).encode()
    headers = generic_headers(body, event_id="original")
    headers["Webhook-Id"] = "forged"

    response = client.post(
        "/webhooks/generic/", data=body, content_type="application/json", headers=headers
    )

    assert response.status_code == 401


def test_a_generic_request_signed_with_another_key_is_refused(client):
    response = generic_post(client, {"type": "x"}, key=b"another-key-of-32-bytes-length!!")

    assert response.status_code == 401


def test_any_of_several_generic_signatures_may_match_during_a_secret_rotation(client):
    body = json.dumps({"type": "x"}).encode()
    headers = generic_headers(body)
    old = generic_headers(body, key=b"old-key-old-key-old-key-old-key!")["Webhook-Signature"]
    headers["Webhook-Signature"] = f"{old} {headers['Webhook-Signature']}"

    response = client.post(
        "/webhooks/generic/", data=body, content_type="application/json", headers=headers
    )

    assert response.status_code == 200


def test_a_generic_request_missing_the_timestamp_header_is_refused(client):
    body = json.dumps({"type": "x"}).encode()
    headers = generic_headers(body)
    del headers["Webhook-Timestamp"]

    response = client.post(
        "/webhooks/generic/", data=body, content_type="application/json", headers=headers
    )

    assert response.status_code == 401
    assert "Webhook-Timestamp" in response.json()["detail"]


def test_a_signed_generic_body_without_a_type_answers_400(client):
    response = generic_post(client, {"data": {}})

    assert response.status_code == 400
    assert "type" in response.json()["detail"]


def test_a_non_numeric_generic_timestamp_is_refused_not_a_500(client):
    body = b'{"type": "x"}'
    headers = generic_headers(body)
    headers["Webhook-Timestamp"] = "yesterday"

    response = client.post(
        "/webhooks/generic/", data=body, content_type="application/json", headers=headers
    )

    assert response.status_code == 401


def test_the_signature_matches_the_documented_example(client):
    """docs/webhooks.md shows this exact computation; keep the two in step."""
    body = b'{"type": "lead.created", "data": {"email": "ana@example.com"}}'
    sent_at = int(time.time())
    signed = b"msg_1." + str(sent_at).encode() + b"." + body
    digest = hmac.new(GENERIC_KEY, signed, hashlib.sha256).digest()
    headers = {
        "Webhook-Id": "msg_1",
        "Webhook-Timestamp": str(sent_at),
        "Webhook-Signature": "v1," + base64.b64encode(digest).decode(),
    }

    response = client.post(
        "/webhooks/generic/", data=body, content_type="application/json", headers=headers
    )

    assert response.status_code == 200


@pytest.mark.parametrize("secret", ["plain-text-secret", "whsec_not*base64", "whsec_" + "c2hvcnQ="])
def test_an_unusable_generic_secret_refuses_requests_and_fails_the_system_check(
    client, settings, secret
):
    settings.GENERIC_WEBHOOK_SECRET = secret

    response = generic_post(client, {"type": "x"})

    assert response.status_code == 403
    with pytest.raises(SystemCheckError, match="webhooks.E001"):
        call_command("check")


# --- Twilio ---------------------------------------------------------------------------


def status_callback(**extra):
    return {
        "AccountSid": "AC123",
        "MessageSid": "SM123",
        "MessageStatus": "delivered",
        "SmsStatus": "delivered",
        "To": "+525512345678",
        "ErrorCode": "",
        **extra,
    }


def test_a_twilio_status_callback_is_stored_as_message_status(client):
    response = twilio_post(client, status_callback())

    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.event_id, event.event_type) == ("SM123:delivered", "message.status")
    assert event.payload["ErrorCode"] == ""


def test_each_twilio_status_of_a_message_is_its_own_event_and_repeats_are_duplicates(client):
    twilio_post(client, status_callback(MessageStatus="sent"))
    twilio_post(client, status_callback(MessageStatus="delivered"))
    twilio_post(client, status_callback(MessageStatus="delivered"))

    assert sorted(WebhookEvent.objects.values_list("event_id", flat=True)) == [
        "SM123:delivered",
        "SM123:sent",
    ]


def test_a_twilio_signature_covers_blank_params(client):
    """Twilio signs `ErrorCode` + "" too; dropping blank params would fail every check."""
    params = status_callback(ErrorCode="", Body="")
    url = SITE_URL + "/webhooks/twilio/"
    data = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    signature = base64.b64encode(
        hmac.new(TWILIO_TOKEN.encode(), data.encode(), hashlib.sha1).digest()
    ).decode()

    response = client.post(
        "/webhooks/twilio/",
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )

    assert response.status_code == 200
    assert WebhookEvent.objects.get().payload["Body"] == ""


def test_a_twilio_signature_made_without_the_blank_params_is_refused(client):
    params = status_callback(ErrorCode="")
    signed_without_blank = {k: v for k, v in params.items() if v}
    from twilio.request_validator import RequestValidator

    signature = RequestValidator(TWILIO_TOKEN).compute_signature(
        SITE_URL + "/webhooks/twilio/", signed_without_blank
    )

    response = client.post(
        "/webhooks/twilio/",
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )

    assert response.status_code == 401


def test_a_twilio_signature_covers_the_query_string_of_the_site_url(client):
    response = twilio_post(client, status_callback(), path="/webhooks/twilio/?tenant=mx")

    assert response.status_code == 200


def test_a_twilio_request_signed_for_another_host_is_refused(client, settings):
    settings.SITE_URL = "https://attacker.example.net"

    response = twilio_post(client, status_callback())

    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()


def test_an_inbound_sms_is_message_inbound_and_gets_empty_twiml(client):
    params = {
        "MessageSid": "SM999",
        "AccountSid": "AC123",
        "From": "+525512345678",
        "To": "+15005550006",
        "Body": "BAJA",
        "NumMedia": "0",
        "SmsStatus": "received",
    }

    response = twilio_post(client, params)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.decode().endswith("<Response/>")
    event = WebhookEvent.objects.get()
    assert (event.event_id, event.event_type) == ("SM999", "message.inbound")
    assert event.payload["Body"] == "BAJA"


def test_a_duplicate_inbound_sms_still_gets_twiml(client):
    params = {"MessageSid": "SM999", "Body": "hola"}
    twilio_post(client, params)

    response = twilio_post(client, params)

    assert response.status_code == 200
    assert response.content.decode().endswith("<Response/>")
    assert WebhookEvent.objects.count() == 1


def test_a_signed_twilio_request_without_message_sid_answers_400(client):
    response = twilio_post(client, {"CallSid": "CA1", "CallStatus": "completed"})

    assert response.status_code == 400
    assert "MessageSid" in response.json()["detail"]


def test_a_signed_twilio_form_with_an_encoded_nul_answers_400_not_a_500(client):
    response = twilio_post(client, {"MessageSid": "SM1", "Body": "hola\x00"})

    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]
    assert not WebhookEvent.objects.exists()
