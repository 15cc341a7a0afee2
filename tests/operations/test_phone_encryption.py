"""Phones of leads and webinar registrants encrypted at rest; lookups, the SMS suppression
join and key rotation keep working."""

from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.db import connection
from django.utils import timezone

from courseops.messaging.models import Suppression, SuppressionReason
from courseops.messaging.services import suppress
from courseops.operations.encrypting_migration import encrypt_existing
from courseops.operations.encryption import encryption_keys
from courseops.operations.rotation import encrypted_fields, rotate_encrypted_fields
from marketing.models import Consent, Lead, Purpose
from marketing.services.consent import valid_consent
from students.models import Plan
from webinars.models import Registration, Webinar

pytestmark = pytest.mark.django_db

PHONE = "+34600111222"


def _lead(email, phone):
    lead = Lead.objects.create(email=email, phone=phone, first_source="api", last_source="api")
    Consent.objects.create(
        lead=lead,
        purpose=Purpose.MARKETING_SMS,
        status=Consent.Status.GRANTED,
        source="api",
        text="SMS",
        requested_at=timezone.now(),
        granted_at=timezone.now(),
    )
    return lead


def _raw(table, pk):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT phone FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def _registration():
    Plan.objects.create(slug="pro", name="Pro")
    webinar = Webinar.objects.create(
        title="W", starts_at=datetime(2026, 12, 1, tzinfo=UTC), time_zone="UTC"
    )
    return Registration.objects.create(
        webinar=webinar, email="r@example.com", phone=PHONE, source="api"
    )


def test_phones_are_stored_encrypted_and_found_by_exact_number():
    lead = _lead("a@example.com", PHONE)
    registration = _registration()
    assert PHONE not in _raw("marketing_lead", lead.pk)
    assert PHONE not in _raw("webinars_registration", registration.pk)
    assert Lead.objects.get(phone=PHONE) == lead
    assert Registration.objects.get(phone=PHONE).phone == PHONE


def test_a_suppressed_phone_is_left_out_of_the_sms_audience():
    stopped = _lead("stopped@example.com", PHONE)
    kept = _lead("kept@example.com", "+34600999888")
    suppress(channel="sms", address=PHONE, reason=SuppressionReason.SMS_STOP)

    audience = Lead.objects.filter(valid_consent(Purpose.MARKETING_SMS))

    assert list(audience) == [kept]
    assert stopped not in audience
    assert Suppression.objects.get().address_index == _raw("marketing_lead", stopped.pk)[:32]


def test_rotation_reencrypts_lead_and_registration_phones(settings):
    assert {Lead, Registration} <= set(encrypted_fields())
    lead = _lead("a@example.com", PHONE)
    old = _raw("marketing_lead", lead.pk)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *encryption_keys()]
    rotate_encrypted_fields()
    assert _raw("marketing_lead", lead.pk) != old
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]
    assert Lead.objects.get(pk=lead.pk).phone == PHONE


def test_the_migration_encrypts_numbers_stored_in_clear():
    lead = _lead("a@example.com", "")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE marketing_lead SET phone = %s WHERE id = %s", [PHONE, lead.pk])
    encrypt_existing("marketing", "lead", "phone").code(apps, None)
    assert PHONE not in _raw("marketing_lead", lead.pk)
    assert Lead.objects.get(phone=PHONE) == lead
