"""Consent per purpose: double opt-in by signed link, withdrawal from every door, and
marketing messages only to contacts with a valid consent."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from courseops.messaging.models import Category, OutboundMessage, Status, Suppression
from courseops.messaging.services import (
    handle_inbound_sms,
    queue_email,
    queue_sms,
    record_email_event,
    suppress,
)
from marketing.models import Consent, Purpose
from marketing.services.consent import preferences_url
from tests.conftest import lost_broker
from tests.marketing.conftest import NOON

pytestmark = pytest.mark.django_db


def promo(capture, to="ana@example.com", key="promo"):
    with time_machine.travel(NOON, tick=False), capture(execute=True):
        message = queue_email(
            to=to, idempotency_key=key, subject="Oferta", text="x", category=Category.MARKETING
        )
    message.refresh_from_db()
    return message


def link_in(message):
    return re.search(r"http://\S+/suscripcion/confirmar/\S+/", message.text_body).group(0)


def test_a_form_subscription_waits_for_the_emailed_link_and_a_post_confirms_it(
    subscribe, django_capture_on_commit_callbacks
):
    lead = subscribe(
        {
            "email": "ana@example.com",
            "name": "Ana Ruiz",
            "consent": True,
            "consent_text": "Quiero el boletín",
        },
        ip="203.0.113.7",
    )
    consent = Consent.objects.get(lead=lead)
    assert (consent.status, consent.source, consent.text, consent.ip) == (
        "pending",
        "api",
        "Quiero el boletín",
        "203.0.113.7",
    )
    assert promo(django_capture_on_commit_callbacks).status == Status.DROPPED

    confirmation = OutboundMessage.objects.get(template="marketing/confirm_subscription")
    assert confirmation.category == Category.TRANSACTIONAL
    assert confirmation.status == Status.SENT
    url = link_in(confirmation)

    client = Client()
    assert client.get(url).status_code == 200  # a mail scanner's GET confirms nothing
    consent.refresh_from_db()
    assert consent.status == "pending"
    response = client.post(url, REMOTE_ADDR="198.51.100.4")
    assert "confirmada" in response.content.decode()
    consent.refresh_from_db()
    assert (consent.status, consent.confirmed_ip) == ("granted", "198.51.100.4")
    assert consent.granted_at is not None

    assert promo(django_capture_on_commit_callbacks, key="promo-2").status == Status.SENT


def test_signing_up_twice_in_a_day_sends_one_confirmation(subscribe):
    subscribe({"email": "ana@example.com", "consent": True})
    subscribe({"email": "ana@example.com", "consent": True})

    assert OutboundMessage.objects.filter(template="marketing/confirm_subscription").count() == 1


def test_a_sign_up_while_the_broker_is_down_gets_one_confirmation_from_the_sweeper(subscribe):
    from marketing.services.consent import send_due_confirmations
    from marketing.tasks import send_consent_confirmation

    with lost_broker():
        lead = subscribe({"email": "ana@example.com", "consent": True})
    confirmations = OutboundMessage.objects.filter(template="marketing/confirm_subscription")
    assert not confirmations.exists()
    assert lead.confirmation_due_since is not None
    assert send_due_confirmations() == 0  # within the grace the task is not presumed lost

    with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=False):
        assert send_due_confirmations() == 1

    assert confirmations.count() == 1
    lead.refresh_from_db()
    assert lead.confirmation_due_since is None
    send_consent_confirmation.apply(args=[lead.pk])  # a duplicate delivery
    assert confirmations.count() == 1


def test_a_tampered_confirmation_link_is_refused(subscribe):
    subscribe({"email": "ana@example.com", "consent": True})
    url = link_in(OutboundMessage.objects.get())

    response = Client().post(url.replace("/confirmar/", "/confirmar/x"))

    assert response.status_code == 400
    assert Consent.objects.get().status == "pending"


def test_without_consent_marketing_is_dropped_but_a_receipt_goes(
    subscribe, django_capture_on_commit_callbacks
):
    subscribe({"email": "ana@example.com"})

    assert promo(django_capture_on_commit_callbacks).status == Status.DROPPED
    with django_capture_on_commit_callbacks(execute=True):
        receipt = queue_email(to="ana@example.com", idempotency_key="r", subject="Recibo", text="x")
    receipt.refresh_from_db()
    assert receipt.status == Status.SENT


def test_the_one_click_unsubscribe_withdraws_the_newsletter_consent(
    consented_lead, django_capture_on_commit_callbacks
):
    sent = promo(django_capture_on_commit_callbacks)
    assert sent.status == Status.SENT
    url = sent.headers["List-Unsubscribe"].strip("<>")

    Client(enforce_csrf_checks=True).post(url, data={"List-Unsubscribe": "One-Click"})

    consent = consented_lead.consents.get(purpose=Purpose.NEWSLETTER)
    assert consent.status == "withdrawn"
    assert consent.withdrawn_source == "unsubscribed: one-click"
    assert promo(django_capture_on_commit_callbacks, key="promo-2").status == Status.SUPPRESSED


def test_a_complaint_withdraws_the_newsletter_consent(consented_lead):
    record_email_event(provider_message_id="", event="complained", recipient="ana@example.com")

    assert consented_lead.consents.get(purpose=Purpose.NEWSLETTER).status == "withdrawn"


def test_a_bounce_blocks_sending_but_is_not_a_withdrawal(consented_lead):
    record_email_event(provider_message_id="", event="bounced", recipient="ana@example.com")

    assert consented_lead.consents.get(purpose=Purpose.NEWSLETTER).status == "granted"
    assert Suppression.objects.filter(address="ana@example.com").exists()


def test_sms_stop_withdraws_the_marketing_sms_consent_and_keeps_the_email_one(
    consented_lead, django_capture_on_commit_callbacks
):
    handle_inbound_sms(from_number="+34600111222", body="Stop")

    statuses = dict(consented_lead.consents.values_list("purpose", "status"))
    assert statuses == {"newsletter_email": "granted", "marketing_sms": "withdrawn"}
    with time_machine.travel(NOON, tick=False), django_capture_on_commit_callbacks(execute=True):
        sms = queue_sms(
            to="+34600111222", idempotency_key="s", body="Oferta", category=Category.MARKETING
        )
    sms.refresh_from_db()
    assert sms.status == Status.SUPPRESSED


def test_the_preference_page_withdraws_and_grants_again_lifting_the_unsubscribe(
    consented_lead, django_capture_on_commit_callbacks
):
    url = preferences_url(consented_lead)
    client = Client()
    page = client.get(url).content.decode()
    assert "Newsletter por correo" in page
    assert "Marketing por SMS" in page

    client.post(url, data={"purpose": ["marketing_sms"]})
    assert consented_lead.consents.get(purpose=Purpose.NEWSLETTER).status == "withdrawn"
    assert promo(django_capture_on_commit_callbacks).status == Status.DROPPED

    suppress(channel="email", address="ana@example.com", reason="unsubscribed", source="x")
    client.post(url, data={"purpose": ["newsletter_email", "marketing_sms"]}, REMOTE_ADDR="::1")

    consent = consented_lead.consents.get(purpose=Purpose.NEWSLETTER)
    assert (consent.status, consent.source, consent.ip) == ("granted", "preference page", "::1")
    assert not Suppression.objects.exists()
    assert promo(django_capture_on_commit_callbacks, key="promo-2").status == Status.SENT


def test_a_complaint_before_confirming_cancels_the_pending_consent_for_good(subscribe):
    lead = subscribe({"email": "ana@example.com", "consent": True})
    suppress(channel="email", address="ana@example.com", reason="complained", source="x")
    url = link_in(OutboundMessage.objects.get(template="marketing/confirm_subscription"))

    Client().post(url)

    assert lead.consents.get().status == "withdrawn"
    assert Suppression.objects.filter(reason="complained").exists()


def test_the_outbox_knows_a_contacts_phone_and_email_as_one_person_in_their_zone(
    consented_lead, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOON - timedelta(days=1), tick=False):
        sms = queue_sms(
            to="+34600111222", idempotency_key="s", body="Oferta", category=Category.MARKETING
        )

    assert (sms.person_key, sms.time_zone) == ("ana@example.com", "Europe/Madrid")


def test_an_import_cannot_bring_back_a_consent_the_person_withdrew(
    consented_lead, subscribe, single_opt_in_form
):
    from marketing.services.consent import withdraw_consent

    withdraw_consent(lead=consented_lead, purpose=Purpose.NEWSLETTER, source="preference page")

    subscribe({"email": "ana@example.com", "consent": True}, form=single_opt_in_form)

    consent = consented_lead.consents.get(purpose=Purpose.NEWSLETTER)
    assert consent.status == "pending"  # asked to confirm by email instead
    assert OutboundMessage.objects.filter(template="marketing/confirm_subscription").exists()
