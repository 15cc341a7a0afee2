"""Typeform forms marked as lead forms: signed responses become contacts with the consent
text the person saw, once per response token; student registration forms are unchanged."""

import copy

import pytest

from courseops.messaging.models import OutboundMessage
from courseops.webhooks.models import WebhookEvent
from marketing.models import Consent, Enrolment, Lead, LeadForm, Purpose, Sequence, Submission
from students.models import IntakeRecord, Student, TypeformForm
from tests.students.intake.typeform_payload import PAYLOAD, SECRET, deliver

CONSENT_TITLE = "Acepto recibir por correo clases gratuitas y ofertas de IA Academy."


@pytest.fixture
def lead_typeform(settings, db):
    settings.TYPEFORM_WEBHOOK_SECRET = SECRET
    return TypeformForm.objects.create(
        form_id="lT4Z3j",
        name="Guía gratuita de IA",
        purpose=TypeformForm.Purpose.LEAD,
        field_refs={
            "full_name": "nombre",
            "email": "correo",
            "phone": "telefono",
            "interests": "intereses",
            "consent": "acepto",
        },
        hidden_fields={"utm_source": "utm_source", "utm_campaign": "utm_campaign"},
    )


def lead_payload():
    payload = copy.deepcopy(PAYLOAD)
    payload["form_response"]["definition"]["fields"].append(
        {"id": "Xy6", "ref": "acepto", "type": "legal", "title": CONSENT_TITLE}
    )
    return payload


def test_a_lead_form_response_becomes_a_contact_with_the_forms_consent_text(
    client, lead_typeform, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, lead_payload()).status_code == 200

    assert WebhookEvent.objects.get().status == WebhookEvent.Status.PROCESSED
    assert not Student.objects.exists()
    assert not IntakeRecord.objects.exists()
    lead = Lead.objects.get()
    assert (lead.email, lead.name, lead.phone, lead.last_source) == (
        "lucia@example.com",
        "Lucía Gómez",
        "+525512345678",
        "typeform",
    )
    assert lead.first_utm == {"utm_source": "instagram", "utm_campaign": "black-friday"}
    assert sorted(lead.interests.values_list("name", flat=True)) == ["NLP", "Visión"]
    consent = Consent.objects.get(lead=lead, purpose=Purpose.NEWSLETTER)
    assert (consent.text, consent.status) == (CONSENT_TITLE, Consent.Status.PENDING)
    assert consent.source == "typeform:typeform-lt4z3j"
    # Double opt-in (the lead form's default): one confirmation email.
    assert OutboundMessage.objects.filter(recipient="lucia@example.com").count() == 1
    assert lead.form == LeadForm.objects.get(typeform=lead_typeform)
    assert Submission.objects.get().external_id == "lT4Z3j:a3a12ec67a1365927098a606107fac15"


def test_a_redelivered_response_changes_nothing(
    client, lead_typeform, django_capture_on_commit_callbacks
):
    lead_form = LeadForm.objects.create(
        slug="guia", name="Guía", typeform=lead_typeform, double_opt_in=False
    )
    sequence = Sequence.objects.create(
        name="Bienvenida guía", trigger=Sequence.Trigger.FORM, trigger_form=lead_form
    )
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, lead_payload())
    consent = Consent.objects.get()
    assert consent.status == Consent.Status.GRANTED  # the staff's form: single opt-in
    Consent.objects.filter(pk=consent.pk).update(status=Consent.Status.WITHDRAWN)

    redelivered = {**lead_payload(), "event_id": "01JD8W0Q9SX3W5Z5Z5Z5Z5Z5ZZ"}
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, redelivered).status_code == 200

    assert WebhookEvent.objects.count() == 2
    assert Submission.objects.count() == 1
    assert Lead.objects.count() == 1
    # The old response does not bring back a consent the person withdrew since.
    assert Consent.objects.get().status == Consent.Status.WITHDRAWN
    assert Enrolment.objects.get().sequence == sequence


def test_an_invalid_lead_response_is_kept_with_its_errors(
    client, lead_typeform, django_capture_on_commit_callbacks
):
    payload = lead_payload()
    payload["form_response"]["answers"][1]["email"] = "lucia@gmial.com"
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, payload)

    submission = Submission.objects.get()
    assert submission.lead is None
    assert "email" in submission.errors
    assert submission.data["email"] == "lucia@gmial.com"
    assert not Lead.objects.exists()
