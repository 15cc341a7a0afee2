import copy

from courseops.webhooks.models import WebhookEvent
from students.models import IntakeRecord, OnboardingStep, Student
from tests.students.intake.typeform_payload import PAYLOAD, deliver


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
