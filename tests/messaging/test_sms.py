import base64
from urllib.parse import parse_qs

import pytest

from courseops.messaging.models import OutboundMessage, Status, Suppression
from courseops.messaging.services import (
    handle_inbound_sms,
    is_suppressed,
    queue_sms,
    record_sms_status,
    suppress,
)
from tests.messaging.conftest import TWILIO_MESSAGES_PATH, TWILIO_SID, twilio_message

pytestmark = pytest.mark.django_db

PHONE = "+525512345678"


def queue_and_send(capture, **kwargs):
    kwargs.setdefault("to", PHONE)
    kwargs.setdefault("idempotency_key", "sms-1")
    with capture(execute=True):
        message = queue_sms(**kwargs)
    message.refresh_from_db()
    return message


def test_an_sms_goes_through_the_twilio_sdk_and_records_the_sid(
    twilio, django_capture_on_commit_callbacks
):
    twilio.expect_request(TWILIO_MESSAGES_PATH, method="POST").respond_with_json(
        twilio_message("SM123", PHONE), status=201
    )

    message = queue_and_send(
        django_capture_on_commit_callbacks,
        template="welcome",
        context={"name": "Ana", "course": "IA para todos"},
    )

    request = twilio.log[0][0]
    form = {key: values[0] for key, values in parse_qs(request.get_data(as_text=True)).items()}
    assert form == {
        "To": PHONE,
        "From": "+15005550006",
        "Body": "Hola Ana, ya estás inscrito/a en IA para todos. "
        "Responde BAJA para no recibir más SMS.",
        "StatusCallback": "https://courseops.example/webhooks/twilio/",
    }
    expected_auth = base64.b64encode(f"{TWILIO_SID}:twilio-token".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected_auth}"
    assert (message.status, message.provider, message.provider_message_id) == (
        Status.SENT,
        "twilio",
        "SM123",
    )


def test_a_twilio_outage_is_retried_later(twilio, django_capture_on_commit_callbacks):
    twilio.expect_request(TWILIO_MESSAGES_PATH, method="POST").respond_with_json(
        {"code": 20500, "message": "Internal Server Error", "status": 503}, status=503
    )

    message = queue_and_send(django_capture_on_commit_callbacks, body="hola")

    assert (message.status, message.attempts) == (Status.AWAITING_RETRY, 1)
    assert "503" in message.last_error


def test_an_invalid_number_is_a_permanent_failure(twilio, django_capture_on_commit_callbacks):
    twilio.expect_request(TWILIO_MESSAGES_PATH, method="POST").respond_with_json(
        {"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}, status=400
    )

    message = queue_and_send(django_capture_on_commit_callbacks, body="hola")

    assert message.status == Status.FAILED
    assert "21211" in message.last_error


def test_twilio_refusing_an_opted_out_number_suppresses_it(
    twilio, django_capture_on_commit_callbacks
):
    twilio.expect_request(TWILIO_MESSAGES_PATH, method="POST").respond_with_json(
        {"code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400},
        status=400,
    )

    message = queue_and_send(django_capture_on_commit_callbacks, body="hola")

    assert message.status == Status.SUPPRESSED
    assert Suppression.objects.get().reason == "sms_stop"


def test_a_stopped_number_is_not_sent_to(twilio, django_capture_on_commit_callbacks):
    suppress(channel="sms", address=PHONE, reason="sms_stop")

    message = queue_and_send(django_capture_on_commit_callbacks, body="hola")

    assert message.status == Status.SUPPRESSED
    assert twilio.log == []


def test_the_console_sms_backend_is_the_default(settings, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "console"
    message = queue_and_send(django_capture_on_commit_callbacks, body="hola")

    assert (message.status, message.provider) == (Status.SENT, "console")


def sent_sms(sid="SM1"):
    return OutboundMessage.objects.create(
        channel="sms",
        recipient=PHONE,
        text_body="hola",
        idempotency_key=sid,
        status=Status.SENT,
        provider="twilio",
        provider_message_id=sid,
    )


def test_status_callbacks_out_of_order_never_move_a_message_backwards():
    message = sent_sms()

    assert record_sms_status(provider_message_id="SM1", status="delivered") == 1
    assert record_sms_status(provider_message_id="SM1", status="sent") == 0
    assert record_sms_status(provider_message_id="SM1", status="queued") == 0

    message.refresh_from_db()
    assert message.status == Status.DELIVERED


def test_an_undelivered_callback_records_the_error_code():
    message = sent_sms()

    record_sms_status(provider_message_id="SM1", status="undelivered", error_code="30003")

    message.refresh_from_db()
    assert message.status == Status.BOUNCED
    assert "30003" in message.last_error


def test_a_failed_callback_with_error_21610_suppresses_the_number():
    sent_sms()

    record_sms_status(provider_message_id="SM1", status="failed", error_code=21610)

    assert is_suppressed(channel="sms", address=PHONE)


def test_an_unknown_status_or_sid_changes_nothing():
    message = sent_sms()

    assert record_sms_status(provider_message_id="SM1", status="weird") == 0
    assert record_sms_status(provider_message_id="SM404", status="delivered") == 0
    message.refresh_from_db()
    assert message.status == Status.SENT


@pytest.mark.parametrize("body", ["STOP", " baja ", "Cancelar.", "BAJA!", "alto", "Unsubscribe"])
def test_a_stop_keyword_suppresses_the_number(body):
    assert handle_inbound_sms(from_number=PHONE, body=body) == "stopped"
    assert is_suppressed(channel="sms", address=PHONE)


def test_start_lifts_a_stop():
    handle_inbound_sms(from_number=PHONE, body="BAJA")

    assert handle_inbound_sms(from_number=PHONE, body="Start") == "started"
    assert not is_suppressed(channel="sms", address=PHONE)


def test_an_ordinary_reply_is_not_a_keyword():
    assert handle_inbound_sms(from_number=PHONE, body="No puedo ir, ¿hay baja de precio?") is None
    assert not Suppression.objects.exists()


def test_a_garbled_twilio_answer_fails_for_staff_to_check_and_is_not_retried(
    twilio, django_capture_on_commit_callbacks
):
    """Twilio may have taken it: an automatic retry could text the student twice."""
    twilio.expect_request(TWILIO_MESSAGES_PATH, method="POST").respond_with_data(
        "<html>gateway</html>", status=201
    )

    message = queue_and_send(django_capture_on_commit_callbacks, body="hola")

    assert (message.status, message.attempts) == (Status.FAILED, 1)
    assert "JSONDecodeError" in message.last_error
    assert len(twilio.log) == 1


def test_an_unknown_sms_backend_fails_the_message_with_a_clear_error(
    settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "carrier-pigeon"

    message = queue_and_send(django_capture_on_commit_callbacks, body="hola")

    assert message.status == Status.FAILED
    assert "Unknown SMS_BACKEND 'carrier-pigeon'" in message.last_error
