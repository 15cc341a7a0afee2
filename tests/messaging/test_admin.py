import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courseops.audit.models import AuditEntry
from courseops.messaging.models import OutboundMessage, Status, Suppression
from courseops.messaging.services import queue_email, queue_sms

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:messaging_outboundmessage_changelist")


def make_messages(count, start=0):
    for number in range(start, start + count):
        if number % 2:
            queue_sms(to="+525512345678", idempotency_key=f"sms{number}", body="hola")
        else:
            message = queue_email(
                to=f"p{number}@example.com",
                idempotency_key=f"mail{number}",
                template="welcome",
                context={"name": "Ana", "course": "IA"},
                related=message_owner(),
            )
            message.last_error = "x" * 500
            message.save(update_fields=["last_error"])


def message_owner():
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="owner")
    return user


def changelist_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    return len(queries), response


def test_the_outbox_list_loads_in_the_same_number_of_queries_for_2_and_20_rows(client, staff_user):
    client.force_login(staff_user)
    make_messages(2)
    small, response = changelist_queries(client)
    assert "p0@example.com" in response.text

    make_messages(18, start=2)
    large, response = changelist_queries(client)

    assert "p18@example.com" in response.text
    assert small == large


def test_the_outbox_list_does_not_load_bodies(client, staff_user):
    client.force_login(staff_user)
    make_messages(2)

    with CaptureQueriesContext(connection) as queries:
        client.get(CHANGELIST)

    listing = [q["sql"] for q in queries if 'FROM "messaging_outboundmessage"' in q["sql"]]
    assert listing
    assert all('"html_body"' not in sql and '"context"' not in sql for sql in listing)


def test_the_outbox_list_filters_and_searches(client, staff_user):
    client.force_login(staff_user)
    make_messages(4)

    sms_only = client.get(CHANGELIST, {"channel": "sms"})
    by_key = client.get(CHANGELIST, {"q": "mail2"})

    assert "p0@example.com" not in sms_only.text
    assert "+525512345678" in sms_only.text
    assert "p2@example.com" in by_key.text
    assert "p0@example.com" not in by_key.text


def test_a_message_page_shows_a_sandboxed_preview_of_the_html(client, staff_user):
    client.force_login(staff_user)
    message = queue_email(
        to="ana@example.com",
        idempotency_key="k",
        subject="Hola",
        html='<p>Hola</p><script>alert("x")</script>',
    )

    response = client.get(reverse("admin:messaging_outboundmessage_change", args=[message.pk]))

    assert response.status_code == 200
    assert '<iframe sandbox=""' in response.text
    assert "&lt;p&gt;Hola&lt;/p&gt;" in response.text  # inside srcdoc, escaped
    assert '<script>alert("x")</script>' not in response.text


def test_staff_can_cancel_waiting_messages_but_not_sent_ones(client, staff_user):
    client.force_login(staff_user)
    waiting = queue_sms(to="+525512345678", idempotency_key="a", body="hola")
    sent = queue_sms(to="+525512345678", idempotency_key="b", body="hola")
    OutboundMessage.objects.filter(pk=sent.pk).update(status=Status.SENT)

    client.post(
        CHANGELIST, {"action": "cancel_selected", "_selected_action": [waiting.pk, sent.pk]}
    )

    statuses = dict(OutboundMessage.objects.values_list("idempotency_key", "status"))
    assert statuses == {"a": Status.CANCELED, "b": Status.SENT}
    assert AuditEntry.objects.filter(action="messaging.message.canceled").count() == 1


def test_a_view_only_user_cannot_retry(client, django_user_model):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user(username="v", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_outboundmessage"))
    client.force_login(viewer)
    message = queue_sms(to="+525512345678", idempotency_key="a", body="hola")
    OutboundMessage.objects.filter(pk=message.pk).update(status=Status.FAILED)

    client.post(CHANGELIST, {"action": "retry_selected", "_selected_action": [message.pk]})

    message.refresh_from_db()
    assert message.status == Status.FAILED


def test_staff_add_a_suppression_with_a_normalized_address(client, staff_user):
    client.force_login(staff_user)
    response = client.post(
        reverse("admin:messaging_suppression_add"),
        {"channel": "email", "address": " Ana@Example.COM ", "reason": "manual", "source": ""},
    )

    assert response.status_code == 302
    suppression = Suppression.objects.get()
    assert (suppression.address, suppression.created_by) == ("ana@example.com", staff_user)


def test_a_bad_address_in_the_suppression_form_is_a_form_error(client, staff_user):
    client.force_login(staff_user)
    response = client.post(
        reverse("admin:messaging_suppression_add"),
        {"channel": "sms", "address": "12", "reason": "manual", "source": ""},
    )

    assert response.status_code == 200
    assert "Número de teléfono no válido" in response.text
    assert not Suppression.objects.exists()


def test_the_suppression_list_loads_in_constant_queries(client, staff_user):
    from courseops.messaging.services import suppress

    client.force_login(staff_user)
    url = reverse("admin:messaging_suppression_changelist")
    suppress(channel="email", address="a0@example.com", reason="manual", user=staff_user)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for number in range(1, 20):
        suppress(
            channel="email", address=f"a{number}@example.com", reason="manual", user=staff_user
        )
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)

    assert "a19@example.com" in response.text
    assert len(small) == len(large)


def test_deleting_a_suppression_in_the_admin_lifts_it_and_is_audited(client, staff_user):
    from courseops.messaging.services import is_suppressed, suppress

    client.force_login(staff_user)
    entry = suppress(channel="email", address="ana@example.com", reason="manual")

    response = client.post(
        reverse("admin:messaging_suppression_delete", args=[entry.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not is_suppressed(channel="email", address="ana@example.com")
    assert AuditEntry.objects.filter(
        action="messaging.suppression.removed", actor=staff_user
    ).exists()
