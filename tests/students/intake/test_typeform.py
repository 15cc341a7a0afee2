import base64
import copy
import hashlib
import hmac
import json

import pytest

from courseops.webhooks.models import WebhookEvent
from students.models import IntakeRecord, OnboardingStep, Student, TypeformForm

SECRET = "typeform-test-secret"

# A form_response as Typeform sends it (shape from Typeform's webhook docs): random field
# ids, our refs, a dropdown answered as `choice`, multiple choice as `choices`, hidden UTMs.
PAYLOAD = {
    "event_id": "01JD8W0Q9SX3W5Z5Z5Z5Z5Z5Z5",
    "event_type": "form_response",
    "form_response": {
        "form_id": "lT4Z3j",
        "token": "a3a12ec67a1365927098a606107fac15",
        "landed_at": "2026-11-25T12:58:02Z",
        "submitted_at": "2026-11-25T13:00:12Z",
        "hidden": {"utm_source": "instagram", "utm_campaign": "black-friday"},
        "definition": {
            "id": "lT4Z3j",
            "title": "Inscripción Curso de IA",
            "fields": [
                {"id": "Xy1", "ref": "nombre", "type": "short_text", "title": "¿Tu nombre?"},
                {"id": "Xy2", "ref": "correo", "type": "email", "title": "¿Tu email?"},
            ],
        },
        "answers": [
            {
                "type": "text",
                "text": "Lucía Gómez",
                "field": {"id": "Xy1", "type": "short_text", "ref": "nombre"},
            },
            {
                "type": "email",
                "email": "lucia@example.com",
                "field": {"id": "Xy2", "type": "email", "ref": "correo"},
            },
            {
                "type": "phone_number",
                "phone_number": "+525512345678",
                "field": {"id": "Xy3", "type": "phone_number", "ref": "telefono"},
            },
            {
                "type": "choice",
                "choice": {"id": "c1", "ref": "p", "label": "Premium"},
                "field": {"id": "Xy4", "type": "dropdown", "ref": "plan"},
            },
            {
                "type": "choices",
                "choices": {"ids": ["a", "b"], "labels": ["NLP", "Visión"]},
                "field": {"id": "Xy5", "type": "multiple_choice", "ref": "intereses"},
            },
            {
                "type": "boolean",
                "boolean": True,
                "field": {"id": "Xy6", "type": "legal", "ref": "acepto"},
            },
            {
                "type": "text",
                "text": "ignored",
                "field": {"id": "Xy7", "type": "short_text", "ref": "unmapped"},
            },
        ],
    },
}


@pytest.fixture
def typeform(settings, plans):
    settings.TYPEFORM_WEBHOOK_SECRET = SECRET
    return TypeformForm.objects.create(
        form_id="lT4Z3j",
        name="Inscripción",
        field_refs={
            "full_name": "nombre",
            "email": "correo",
            "phone": "telefono",
            "plan": "plan",
            "interests": "intereses",
            "consent": "acepto",
        },
        hidden_fields={"utm_source": "utm_source", "utm_campaign": "utm_campaign"},
    )


def deliver(client, payload):
    body = json.dumps(payload).encode()
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest())
    return client.post(
        "/webhooks/typeform/",
        body,
        content_type="application/json",
        headers={"Typeform-Signature": f"sha256={signature.decode()}"},
    )


def test_a_signed_form_response_becomes_one_student_with_onboarding_started(
    client, typeform, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, PAYLOAD)

    assert response.status_code == 200
    student = Student.objects.get()
    assert (student.full_name, student.email, student.phone) == (
        "Lucía Gómez",
        "lucia@example.com",
        "+525512345678",
    )
    assert (student.plan.slug, student.interests, student.consent_given) == (
        "premium",
        ["NLP", "Visión"],
        True,
    )
    assert (student.source, student.utm_source, student.utm_campaign) == (
        "typeform",
        "instagram",
        "black-friday",
    )
    record = IntakeRecord.objects.get()
    assert record.external_id == "lT4Z3j:a3a12ec67a1365927098a606107fac15"
    assert student.onboarding_steps.get(name="validate").status == OnboardingStep.Status.DONE
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.PROCESSED


def test_a_duplicate_delivery_leaves_one_student_and_one_record(
    client, typeform, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, PAYLOAD)
        deliver(client, PAYLOAD)
        # Resent with a new event id (a Typeform "redeliver"): same response token.
        deliver(client, {**PAYLOAD, "event_id": "01JD8W0Q9SX3W5Z5Z5Z5Z5Z5ZZ"})

    assert Student.objects.count() == 1
    assert IntakeRecord.objects.count() == 1
    assert WebhookEvent.objects.count() == 2


def test_a_dropdown_answered_as_text_also_picks_the_plan(
    client, typeform, django_capture_on_commit_callbacks
):
    payload = copy.deepcopy(PAYLOAD)
    payload["form_response"]["answers"][3] = {
        "type": "text",
        "text": "vip",
        "field": {"id": "Xy4", "type": "dropdown", "ref": "plan"},
    }
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, payload)
    assert Student.objects.get().plan.slug == "vip"


def test_a_form_nobody_configured_fails_permanently_with_a_clear_message(
    client, typeform, django_capture_on_commit_callbacks
):
    payload = copy.deepcopy(PAYLOAD)
    payload["form_response"]["form_id"] = "Unknown1"
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, payload).status_code == 200

    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.FAILED
    assert "«Unknown1» no está configurado" in event.last_error
    assert event.attempts == 1
    assert not Student.objects.exists()
    assert not IntakeRecord.objects.exists()


def test_an_unsigned_delivery_is_refused(client, typeform):
    response = client.post("/webhooks/typeform/", PAYLOAD, content_type="application/json")
    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()
