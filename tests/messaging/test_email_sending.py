import base64
import json
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from werkzeug.wrappers import Response

from courseops.audit.models import AuditEntry
from courseops.messaging import tasks
from courseops.messaging.models import Category, Status, SuppressionReason
from courseops.messaging.services import queue_email, suppress
from tests.messaging.conftest import POSTMARK_TOKEN

pytestmark = pytest.mark.django_db


def queue_and_send(capture, **kwargs):
    kwargs.setdefault("to", "ana@example.com")
    kwargs.setdefault("idempotency_key", "k1")
    with capture(execute=True):
        message = queue_email(**kwargs)
    message.refresh_from_db()
    return message


def test_marketing_email_reaches_postmark_with_one_click_unsubscribe_headers_text_and_html(
    postmark_accepts, postmark, django_capture_on_commit_callbacks
):
    message = queue_and_send(
        django_capture_on_commit_callbacks,
        template="welcome",
        context={"name": "Ana", "course": "IA para todos"},
        category=Category.MARKETING,
        headers={"X-Campaign": "noviembre"},
    )

    assert len(postmark_accepts) == 1
    sent = postmark_accepts[0]
    request = postmark.log[0][0]
    assert request.headers["X-Postmark-Server-Token"] == POSTMARK_TOKEN
    assert sent["To"] == "ana@example.com"
    assert sent["Subject"] == "¡Bienvenido/a, Ana!"
    assert "IA para todos" in sent["TextBody"]
    assert "<" not in sent["TextBody"]
    assert 'style="' in sent["HtmlBody"]
    headers = {header["Name"]: header["Value"] for header in sent["Headers"]}
    unsubscribe = headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://127.0.0.1:8000/messaging/baja/")
    assert unsubscribe.endswith(">")
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["X-Campaign"] == "noviembre"
    assert unsubscribe[1:-1] in sent["HtmlBody"]
    assert unsubscribe[1:-1] in sent["TextBody"]
    assert sent["Metadata"] == {"outbound_id": str(message.pk)}

    assert message.status == Status.SENT
    assert (message.provider, message.provider_message_id) == ("postmark", "pm-1")
    assert message.attempts == 1
    assert message.sent_at is not None


def test_transactional_email_has_no_unsubscribe_headers(
    postmark_accepts, django_capture_on_commit_callbacks
):
    queue_and_send(django_capture_on_commit_callbacks, subject="Tu recibo", html="<p>Gracias</p>")

    assert "Headers" not in postmark_accepts[0] or not any(
        h["Name"].startswith("List-Unsubscribe") for h in postmark_accepts[0]["Headers"]
    )
    assert (
        postmark_accepts[0]["HtmlBody"] == "<html><head></head><body><p>Gracias</p></body></html>"
    )


def test_the_send_task_run_twice_sends_once(postmark_accepts, django_capture_on_commit_callbacks):
    message = queue_and_send(django_capture_on_commit_callbacks, subject="Hola", text="Hola")

    tasks.send_message.delay(message.pk)
    tasks.send_message.apply(args=[message.pk])

    assert len(postmark_accepts) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 1)


def outage(postmark, status=503):
    body = {"ErrorCode": 100, "Message": "Service unavailable"}
    postmark.expect_request("/email", method="POST").respond_with_json(body, status=status)


def test_a_postmark_outage_is_retried_with_backoff_then_failed_and_admin_retry_sends_once(
    postmark, django_capture_on_commit_callbacks, client, staff_user
):
    outage(postmark)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        message = queue_and_send(django_capture_on_commit_callbacks, subject="Hola", text="x")
    assert (message.status, message.attempts) == (Status.AWAITING_RETRY, 1)
    assert message.next_attempt_at == start + timedelta(minutes=1)
    assert "503" in message.last_error

    waits = []
    for attempt in range(2, tasks.MAX_ATTEMPTS + 1):
        due = message.next_attempt_at
        with time_machine.travel(due - timedelta(seconds=1), tick=False):
            tasks.send_message.apply(args=[message.pk])  # not due yet: nothing happens
        assert len(postmark.log) == attempt - 1
        with time_machine.travel(due, tick=False):
            tasks.send_message.apply(args=[message.pk])
        message.refresh_from_db()
        if message.status == Status.AWAITING_RETRY:
            waits.append(message.next_attempt_at - due)
    assert len(postmark.log) == tasks.MAX_ATTEMPTS
    assert waits == [timedelta(minutes=m) for m in (2, 4, 8, 16)]
    assert (message.status, message.attempts) == (Status.FAILED, tasks.MAX_ATTEMPTS)
    assert "503" in message.last_error

    postmark.clear()
    postmark.expect_request("/email", method="POST").respond_with_json(
        {"To": "ana@example.com", "MessageID": "pm-ok", "ErrorCode": 0, "Message": "OK"}
    )
    client.force_login(staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:messaging_outboundmessage_changelist"),
            {"action": "retry_selected", "_selected_action": [message.pk]},
        )
    assert response.status_code == 302
    assert len(postmark.log) == 1
    message.refresh_from_db()
    assert (message.status, message.provider_message_id, message.last_error) == (
        Status.SENT,
        "pm-ok",
        "",
    )
    assert AuditEntry.objects.filter(action="messaging.message.retried", actor=staff_user).exists()


def test_a_4xx_from_postmark_fails_at_once_with_the_error_for_staff(
    postmark, django_capture_on_commit_callbacks
):
    postmark.expect_request("/email", method="POST").respond_with_json(
        {"ErrorCode": 300, "Message": "Invalid email request"}, status=422
    )
    message = queue_and_send(django_capture_on_commit_callbacks, subject="Hola", text="x")

    assert (message.status, message.attempts) == (Status.FAILED, 1)
    assert "Invalid email request" in message.last_error
    assert len(postmark.log) == 1


def test_an_unreachable_provider_is_a_transient_error(settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "t", "POSTMARK_API_URL": "http://127.0.0.1:9/"}
    message = queue_and_send(django_capture_on_commit_callbacks, subject="Hola", text="x")

    assert message.status == Status.AWAITING_RETRY
    assert "Error posting" in message.last_error


def test_a_bounced_address_is_not_sent_to(postmark, django_capture_on_commit_callbacks):
    suppress(channel="email", address="Ana@example.com", reason=SuppressionReason.BOUNCED)
    message = queue_and_send(django_capture_on_commit_callbacks, subject="Recibo", text="x")

    assert message.status == Status.SUPPRESSED
    assert postmark.log == []


def test_an_unsubscribe_stops_marketing_but_not_a_receipt(
    postmark_accepts, django_capture_on_commit_callbacks
):
    suppress(channel="email", address="ana@example.com", reason=SuppressionReason.UNSUBSCRIBED)

    promo = queue_and_send(
        django_capture_on_commit_callbacks,
        idempotency_key="promo",
        subject="Oferta",
        text="x",
        category=Category.MARKETING,
    )
    receipt = queue_and_send(
        django_capture_on_commit_callbacks,
        idempotency_key="receipt",
        subject="Recibo",
        text="x",
        category=Category.BILLING,
    )

    assert (promo.status, receipt.status) == (Status.SUPPRESSED, Status.SENT)
    assert [sent["Subject"] for sent in postmark_accepts] == ["Recibo"]


def test_a_suppression_added_after_queueing_is_honoured_at_send_time(
    postmark, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        message = queue_email(to="ana@example.com", idempotency_key="k", subject="x", text="x")
    suppress(channel="email", address="ana@example.com", reason=SuppressionReason.COMPLAINED)
    for callback in callbacks:
        callback()

    message.refresh_from_db()
    assert message.status == Status.SUPPRESSED
    assert postmark.log == []


def test_postmark_json_request_shape_is_what_anymail_sends(
    postmark_accepts, django_capture_on_commit_callbacks
):
    queue_and_send(django_capture_on_commit_callbacks, subject="Hola", text="Solo texto")

    sent = postmark_accepts[0]
    assert sent["From"] == "CourseOps <hola@example.com>"
    assert sent["TextBody"] == "Solo texto"
    assert "HtmlBody" not in sent
    assert json.dumps(sent)  # plain JSON, nothing exotic


def test_the_console_backend_is_the_default_and_sends(
    settings, django_capture_on_commit_callbacks, capsys
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    message = queue_and_send(django_capture_on_commit_callbacks, subject="Hola consola", text="x")

    assert (message.status, message.provider) == (Status.SENT, "console")
    assert "Hola consola" in capsys.readouterr().out


def test_locmem_is_left_alone_by_the_outbox(django_capture_on_commit_callbacks, mailoutbox):
    message = queue_and_send(django_capture_on_commit_callbacks, subject="Hola", text="x")

    assert message.status == Status.SENT
    assert [mail.subject for mail in mailoutbox] == ["Hola"]


def test_a_garbled_success_response_is_failed_for_staff_not_retried(
    postmark, django_capture_on_commit_callbacks
):
    """Postmark may have accepted it: retrying on our own could send it twice."""
    postmark.expect_request("/email", method="POST").respond_with_response(Response("not json"))
    message = queue_and_send(django_capture_on_commit_callbacks, subject="Hola", text="x")

    assert (message.status, message.attempts) == (Status.FAILED, 1)
    assert "Invalid JSON" in message.last_error
    assert len(postmark.log) == 1


def test_an_attachment_queued_with_the_email_reaches_postmark_with_its_name_and_type(
    postmark_accepts, django_capture_on_commit_callbacks
):
    ics = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
    message = queue_and_send(
        django_capture_on_commit_callbacks,
        subject="Invitación",
        text="Te esperamos.",
        attachments=[("invitacion.ics", ics, "text/calendar; method=REQUEST")],
    )

    assert message.status == Status.SENT
    [attachment] = postmark_accepts[0]["Attachments"]
    assert attachment["Name"] == "invitacion.ics"
    assert attachment["ContentType"].startswith("text/calendar")
    assert base64.b64decode(attachment["Content"]).decode() == ics


def test_an_email_goes_from_the_sender_it_was_queued_with_or_the_default(
    settings, postmark_accepts, django_capture_on_commit_callbacks
):
    settings.DEFAULT_FROM_EMAIL = "CourseOps <hola@example.com>"
    chosen = queue_and_send(
        django_capture_on_commit_callbacks,
        subject="Novedades",
        text="Hola",
        from_email=" Marta de IA Academy <marta@example.com> ",
    )
    default = queue_and_send(
        django_capture_on_commit_callbacks, idempotency_key="k2", subject="Recibo", text="Hola"
    )

    assert (chosen.from_email, default.from_email) == (
        "Marta de IA Academy <marta@example.com>",
        "",
    )
    assert [sent["From"] for sent in postmark_accepts] == [
        "Marta de IA Academy <marta@example.com>",
        "CourseOps <hola@example.com>",
    ]


@pytest.mark.parametrize(
    "sender", ["Marta", "marta@", "Marta <marta@example.com>\nBcc: x@example.com"]
)
def test_a_sender_that_is_not_one_valid_address_is_refused(sender):
    with pytest.raises(ValidationError, match="Remitente no válido"):
        queue_email(
            to="ana@example.com", idempotency_key="k", subject="S", text="T", from_email=sender
        )
