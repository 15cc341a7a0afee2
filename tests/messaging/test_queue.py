import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from courseops.messaging.models import OutboundMessage, Status
from courseops.messaging.services import cancel_message, queue_email, queue_sms

pytestmark = pytest.mark.django_db


def test_the_same_idempotency_key_creates_one_row_and_returns_it_untouched(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks() as callbacks:
        first = queue_email(
            to="ana@example.com",
            idempotency_key="welcome:1",
            template="welcome",
            context={"name": "Ana", "course": "IA para todos"},
        )
        again = queue_email(
            to="other@example.com", idempotency_key="welcome:1", subject="Otro", text="otro"
        )

    assert again.pk == first.pk
    assert again.recipient == "ana@example.com"
    assert OutboundMessage.objects.count() == 1
    assert len(callbacks) == 1  # one send task, for the one row


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_transactions_with_one_key_end_with_one_row():
    """The second writer waits on the unique key, then gets the committed row."""
    first_inserted = threading.Event()
    results = {}

    def writer(name, wait_for=None, signal=None):
        try:
            if wait_for:
                wait_for.wait(5)  # the first row is inserted but not committed yet
            with transaction.atomic():
                message = queue_sms(to="+525512345678", idempotency_key="race", body=name)
                if signal:
                    signal.set()
                    threading.Event().wait(0.3)  # hold the transaction open a moment
            results[name] = message.pk
        finally:
            connection.close()

    first = threading.Thread(target=writer, args=("first",), kwargs={"signal": first_inserted})
    second = threading.Thread(target=writer, args=("second",), kwargs={"wait_for": first_inserted})
    first.start()
    second.start()
    first.join(10)
    second.join(10)

    assert OutboundMessage.objects.filter(idempotency_key="race").count() == 1
    assert results["first"] == results["second"]
    assert OutboundMessage.objects.get().text_body == "first"


def test_a_template_email_is_rendered_with_inlined_css_and_a_text_alternative():
    message = queue_email(
        to="Ana@Example.com",
        idempotency_key="welcome:2",
        template="welcome",
        context={"name": "Ana O'Neil", "course": "IA <y> ML", "cta_url": "https://x.test/c"},
    )

    assert message.recipient == "ana@example.com"
    assert message.subject == "¡Bienvenido/a, Ana O'Neil!"
    assert 'style="' in message.html_body
    assert "<style" not in message.html_body.split("<body")[1]
    assert "IA &lt;y&gt; ML" in message.html_body  # escaped in HTML
    assert "Ana O'Neil" in message.text_body
    assert "IA <y> ML" in message.text_body
    assert "https://x.test/c" in message.text_body
    assert "<h1" not in message.text_body


def test_a_template_is_rendered_in_the_language_asked_for():
    message = queue_email(
        to="ana@example.com",
        idempotency_key="welcome:en",
        template="welcome",
        context={"name": "Ana", "course": "AI"},
        language="en",
    )
    assert message.language == "en"
    assert message.subject == "Welcome, Ana!"
    assert 'lang="en"' in message.html_body
    assert "You are now part of AI." in message.text_body


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"to": "not-an-email", "subject": "Hola", "text": "x"}, "no válida"),
        ({"to": "ana@example.com"}, "plantilla"),
        ({"to": "ana@example.com", "subject": "Hola"}, "plantilla"),
        (
            {"to": "ana@example.com", "subject": "Hola", "text": "x", "category": "spam"},
            "Categoría",
        ),
    ],
)
def test_bad_email_input_gets_a_clear_error_and_stores_nothing(kwargs, error):
    with pytest.raises(ValidationError, match=error):
        queue_email(idempotency_key="bad", **kwargs)
    assert not OutboundMessage.objects.exists()


def test_a_bad_phone_number_gets_a_clear_error():
    with pytest.raises(ValidationError, match="teléfono"):
        queue_sms(to="5512", idempotency_key="bad-sms", body="hola")
    assert not OutboundMessage.objects.exists()


def test_a_message_remembers_the_object_it_is_about():
    user = get_user_model().objects.create_user(username="luis")
    message = queue_sms(to="+52 55 1234 5678", idempotency_key="k", body="hola", related=user)

    assert message.recipient == "+525512345678"
    assert message.related == user


def test_a_message_can_be_canceled_by_its_key_while_it_waits():
    queue_email(
        to="ana@example.com",
        idempotency_key="reminder:9",
        subject="Mañana",
        text="Te esperamos",
        send_at=timezone.now() + timedelta(days=1),
    )

    assert cancel_message(idempotency_key="reminder:9") is True
    assert OutboundMessage.objects.get().status == Status.CANCELED
    assert cancel_message(idempotency_key="reminder:9") is False
    assert cancel_message(idempotency_key="unknown") is False


def test_demo_data_fills_the_outbox_once():
    from courseops.core.demo import load_demo_data

    load_demo_data()
    load_demo_data()

    assert OutboundMessage.objects.filter(idempotency_key__startswith="demo:").count() == 3


def test_the_stored_context_keeps_dates_and_names_objects():
    user = get_user_model().objects.create_user(username="luis")
    when = timezone.now()

    message = queue_sms(
        to="+525512345678",
        idempotency_key="ctx",
        template="welcome",
        context={"name": user, "course": "IA", "starts": when},
    )

    assert message.text_body.startswith("Hola luis,")
    message.refresh_from_db()
    assert message.context["name"] == "luis"
    assert message.context["starts"].startswith(when.isoformat()[:19])  # ISO, not str()
