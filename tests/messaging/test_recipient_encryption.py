"""SMS recipients and Zoom download tokens encrypted at rest: lookups by number (STOP,
status callbacks, suppression, privacy) keep working, rotation covers them, and the data
migrations encrypt old rows and bring old Mexican +521 numbers to today's spelling."""

import importlib
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.db import connection

from courseops.messaging.models import OutboundMessage, Status, Suppression
from courseops.messaging.services import (
    is_suppressed,
    queue_email,
    queue_sms,
    record_sms_status,
)
from courseops.operations.encryption import blind_index, encryption_keys
from courseops.operations.rotation import encrypted_fields, rotate_encrypted_fields
from webinars.models import Recording, Webinar

pytestmark = pytest.mark.django_db

PHONE = "+525512345678"
OLD_SPELLING = "+5215512345678"


def _raw(table, column, pk):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def _raw_set(table, column, pk, value):
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, pk])


def _sms(key="sms-1", to=PHONE):
    return queue_sms(to=to, idempotency_key=key, body="hola", category="engagement")


def test_an_sms_number_is_stored_encrypted_and_an_email_in_clear():
    sms = _sms()
    email = queue_email(to="Ana@Example.com", idempotency_key="mail-1", subject="s", text="t")

    raw = _raw("messaging_outboundmessage", "recipient", sms.pk)
    assert PHONE not in raw
    assert raw.startswith(f"{blind_index(PHONE)}:gAAAAA")
    assert _raw("messaging_outboundmessage", "recipient", email.pk) == "ana@example.com"
    # The key grouping an unclaimed number's budget is its hash, not the number.
    assert PHONE not in _raw("messaging_outboundmessage", "person_key", sms.pk)
    assert OutboundMessage.objects.get(pk=sms.pk).recipient == PHONE


def test_messages_are_found_by_number_and_by_email():
    sms = _sms()
    _sms("sms-2", to="+34600111222")
    email = queue_email(to="ana@example.com", idempotency_key="mail-1", subject="s", text="t")

    assert list(OutboundMessage.objects.filter(recipient=PHONE)) == [sms]
    assert set(OutboundMessage.objects.filter(recipient__in=[PHONE, "ana@example.com"])) == {
        sms,
        email,
    }
    assert list(OutboundMessage.objects.filter(recipient__iexact="ANA@example.com")) == [email]
    bea = queue_email(to="bea@example.com", idempotency_key="mail-2", subject="s", text="t")
    emails = OutboundMessage.objects.filter(channel="email").values("recipient")
    assert set(OutboundMessage.objects.filter(recipient__in=emails)) == {email, bea}
    # A pattern search sees emails only: never a number's ciphertext by chance.
    assert set(OutboundMessage.objects.filter(recipient__icontains="a")) == {email, bea}
    assert not OutboundMessage.objects.filter(recipient__icontains=blind_index(PHONE)[:6])


def test_the_admin_finds_an_sms_by_its_number_as_typed(admin_client):
    sms = _sms()
    queue_email(to="other@example.com", idempotency_key="mail-1", subject="s", text="t")

    page = admin_client.get("/admin/messaging/outboundmessage/", {"q": "+52 55 1234 5678"})

    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [sms]


def test_a_twilio_stop_error_on_an_encrypted_recipient_suppresses_the_number():
    sms = _sms()
    OutboundMessage.objects.filter(pk=sms.pk).update(
        status=Status.SENT, provider="twilio", provider_message_id="SM1"
    )

    record_sms_status(provider_message_id="SM1", status="failed", error_code=21610)

    assert Suppression.objects.get().address == PHONE
    assert is_suppressed(channel="sms", address=PHONE)


def test_zoom_download_tokens_are_stored_encrypted():
    webinar = Webinar.objects.create(
        title="W", starts_at=datetime(2026, 12, 1, tzinfo=UTC), time_zone="UTC"
    )
    recording = Recording.objects.create(
        webinar=webinar, source="zoom", zoom_download_token="eyJzoom.secret"
    )
    assert "secret" not in _raw("webinars_recording", "zoom_download_token", recording.pk)
    assert Recording.objects.get().zoom_download_token == "eyJzoom.secret"


def test_rotation_reencrypts_sms_recipients_and_zoom_tokens(settings):
    fields = encrypted_fields()
    assert fields[OutboundMessage] == ["recipient"]
    assert fields[Recording] == ["zoom_download_token"]
    sms = _sms()
    email = queue_email(to="ana@example.com", idempotency_key="mail-1", subject="s", text="t")
    webinar = Webinar.objects.create(
        title="W", starts_at=datetime(2026, 12, 1, tzinfo=UTC), time_zone="UTC"
    )
    recording = Recording.objects.create(webinar=webinar, source="zoom", zoom_download_token="t")
    old_sms = _raw("messaging_outboundmessage", "recipient", sms.pk)
    old_token = _raw("webinars_recording", "zoom_download_token", recording.pk)

    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *encryption_keys()]
    rewritten = []
    rotate_encrypted_fields(progress=lambda model, count: rewritten.append((model, count)))
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]  # the old key gone

    assert _raw("messaging_outboundmessage", "recipient", sms.pk) != old_sms
    assert _raw("webinars_recording", "zoom_download_token", recording.pk) != old_token
    assert OutboundMessage.objects.get(recipient=PHONE) == sms
    assert _raw("messaging_outboundmessage", "recipient", email.pk) == "ana@example.com"
    assert Recording.objects.get().zoom_download_token == "t"
    # The email row is not rewritten: only the SMS counts.
    assert (OutboundMessage, 1) in rewritten


def _run(module, app_label):
    migration = importlib.import_module(f"{app_label}.migrations.{module}").Migration
    for operation in migration.operations:
        if hasattr(operation, "code"):
            operation.code(apps, None)


def test_the_migration_encrypts_old_sms_rows_and_brings_plus_521_up_to_date():
    old = _sms("sms-old")
    other = _sms("sms-es", to="+34600111222")
    email = queue_email(to="ana@example.com", idempotency_key="mail-1", subject="s", text="t")
    # As stored before: numbers in clear, an old Mexican spelling, the number as person key.
    _raw_set("messaging_outboundmessage", "recipient", old.pk, OLD_SPELLING)
    _raw_set("messaging_outboundmessage", "person_key", old.pk, f"sms:{OLD_SPELLING}")
    _raw_set("messaging_outboundmessage", "recipient", other.pk, "+34600111222")
    stop = Suppression.objects.create(channel="sms", address="+34600000001", reason="sms_stop")
    _raw_set("messaging_suppression", "address", stop.pk, OLD_SPELLING)
    twice = Suppression.objects.create(channel="sms", address="+525500000002", reason="sms_stop")
    duplicate = Suppression.objects.create(channel="sms", address="+34600000003", reason="manual")
    _raw_set("messaging_suppression", "address", duplicate.pk, "+5215500000002")

    _run("0006_encrypt_sms_recipient", "courseops.messaging")
    _run("0006_encrypt_sms_recipient", "courseops.messaging")  # safe to run again

    assert OutboundMessage.objects.get(pk=old.pk).recipient == PHONE
    assert "+52" not in _raw("messaging_outboundmessage", "recipient", old.pk)
    assert OutboundMessage.objects.get(recipient="+34600111222") == other
    assert _raw("messaging_outboundmessage", "recipient", email.pk) == "ana@example.com"
    assert _raw("messaging_outboundmessage", "person_key", old.pk) == f"sms:{blind_index(PHONE)}"
    stop.refresh_from_db()
    assert (stop.address, stop.address_index) == (PHONE, blind_index(PHONE))
    assert list(Suppression.objects.filter(address__endswith="5500000002")) == [twice]
    # The old message, queued under the old spelling, now meets today's STOP.
    assert is_suppressed(channel="sms", address=OutboundMessage.objects.get(pk=old.pk).recipient)


def test_the_zoom_token_migration_encrypts_tokens_stored_in_clear():
    webinar = Webinar.objects.create(
        title="W", starts_at=datetime(2026, 12, 1, tzinfo=UTC), time_zone="UTC"
    )
    recording = Recording.objects.create(webinar=webinar, source="zoom")
    _raw_set("webinars_recording", "zoom_download_token", recording.pk, "eyJclear")

    _run("0009_encrypt_zoom_download_token", "webinars")

    assert "eyJclear" not in _raw("webinars_recording", "zoom_download_token", recording.pk)
    assert Recording.objects.get().zoom_download_token == "eyJclear"
