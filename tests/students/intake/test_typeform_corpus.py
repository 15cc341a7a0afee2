"""Typeform's real payloads (tests/fixtures/vendors/typeform) through the webhook door:
choices by their ref with the label as the fallback, "Other", multiple choice, hidden fields,
countries and time zones as people pick them."""

import pytest

from courseops.webhooks.models import WebhookEvent
from students.models import IntakeRecord, Student, TypeformForm
from tests.fixtures.vendors import load, names
from tests.students.intake.typeform_payload import SECRET, deliver

REGISTRATION_REFS = {
    "full_name": "nombre",
    "email": "correo",
    "phone": "telefono",
    "country": "pais",
    "time_zone": "zona",
    "plan": "plan",
    "interests": "intereses",
    "consent": "acepto",
    "sms_consent": "sms",
}


@pytest.fixture
def forms(settings, plans):
    settings.TYPEFORM_WEBHOOK_SECRET = SECRET
    TypeformForm.objects.create(
        form_id="Rg7Ky2",
        field_refs=REGISTRATION_REFS,
        hidden_fields={n: n for n in ("utm_source", "utm_medium", "utm_campaign")},
    )
    # Typeform's documented example form, mapped by the refs of its definition.
    TypeformForm.objects.create(
        form_id="lT4Z3j",
        field_refs={
            "email": "readable_ref_email",
            "full_name": "readable_ref_short_text",
            "interests": "readable_ref_picture_choice",
            "consent": "readable_ref_legal",
        },
    )


@pytest.mark.parametrize("name", names("typeform"))
def test_every_typeform_payload_of_the_corpus_is_received_once_and_kept_as_an_intake_record(
    client, forms, django_capture_on_commit_callbacks, name
):
    payload = load("typeform", name)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, payload).status_code == 200
        assert deliver(client, payload).status_code == 200  # Typeform retries

    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.PROCESSED, event.last_error
    record = IntakeRecord.objects.get()
    response = payload["form_response"]
    assert record.external_id == f"{response['form_id']}:{response['token']}"
    assert record.data["email"].endswith("@example.com")


def test_typeforms_own_example_is_read_through_its_definitions_refs(
    client, forms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, load("typeform", "official_example"))

    record = IntakeRecord.objects.get()
    assert (record.data["email"], record.data["full_name"]) == ("laura@example.com", "Laura")
    assert (record.data["interests"], record.data["consent"]) == (["London", "Sydney"], True)
    # The example has no plan question: the person is asked for it, nothing else.
    assert set(record.errors) == {"plan"}


def test_choices_are_read_by_their_ref_country_and_time_zone_included(
    client, forms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, load("typeform", "registration_by_ref"))

    student = Student.objects.get()
    assert (student.country, student.time_zone, student.plan.slug) == (
        "ES",
        "Europe/Madrid",
        "premium",
    )
    assert student.interests == ["nlp", "agents", "Robótica"]
    assert (student.phone, student.sms_consent_at is not None) == ("+34612345678", True)
    assert (student.utm_source, student.utm_medium) == ("instagram", "social")
    assert IntakeRecord.objects.get().errors == {}


def test_labels_other_and_text_answers_are_the_fallback_when_there_is_no_ref(
    client, forms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, load("typeform", "registration_other_and_labels"))

    student = Student.objects.get()
    # "Brasil" typed into Other, "America/Sao_Paulo" from a dropdown answered as text, and
    # the plan's label "VIP (mentoría 1:1)" without a ref.
    assert (student.country, student.time_zone, student.plan.slug) == (
        "BR",
        "America/Sao_Paulo",
        "vip",
    )
    assert student.interests == ["Visión por computadora"]


def test_a_ref_the_field_does_not_know_falls_back_to_the_label(
    client, forms, django_capture_on_commit_callbacks
):
    payload = load("typeform", "registration_by_ref")
    answers = payload["form_response"]["answers"]
    # Typeform's auto-generated refs (the designer did not set them).
    answers[3]["choice"] = {"id": "x", "ref": "8f2a-41c0", "label": "México"}
    answers[4]["choice"] = {"id": "y", "ref": "01H531GW", "label": "Ciudad de México (CST)"}
    answers[5]["choice"] = {"id": "z", "ref": "a81d-77e2", "label": "Plan Básico"}
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, payload)

    student = Student.objects.get()
    assert (student.country, student.time_zone, student.plan.slug) == (
        "MX",
        "America/Mexico_City",
        "basico",
    )


def test_a_choice_no_spelling_of_which_is_valid_is_reported_with_its_label(
    client, forms, django_capture_on_commit_callbacks
):
    payload = load("typeform", "registration_by_ref")
    payload["form_response"]["answers"][3]["choice"] = {"ref": "ZZ", "label": "Atlántida"}
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, payload)

    record = IntakeRecord.objects.get()
    assert record.status == IntakeRecord.Status.INVALID
    assert "«Atlántida»" in record.errors["country"][0]


def test_staff_pick_each_fields_question_from_the_forms_last_response(
    client, staff_user, forms, django_capture_on_commit_callbacks
):
    form = TypeformForm.objects.get(form_id="Rg7Ky2")
    form.field_refs = {"email": "correo"}
    form.save()
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, load("typeform", "registration_by_ref"))
    client.force_login(staff_user)
    url = f"/admin/students/typeformform/{form.pk}/change/"

    page = client.get(url).content.decode()
    assert 'name="ref_time_zone"' in page
    assert "¿Tu zona horaria? [zona]" in page
    assert 'name="field_refs"' not in page  # no JSON to type
    response = client.post(
        url,
        {
            "form_id": "Rg7Ky2",
            "purpose": "registration",
            "active": "on",
            "ref_email": "correo",
            "ref_full_name": "nombre",
            "ref_time_zone": "zona",
            "ref_plan": "plan",
            "hidden_utm_source": "utm_source",
        },
    )
    assert response.status_code == 302
    form.refresh_from_db()
    assert form.field_refs == {
        "email": "correo",
        "full_name": "nombre",
        "time_zone": "zona",
        "plan": "plan",
    }
    assert form.hidden_fields == {"utm_source": "utm_source"}


def test_a_mapping_picked_from_the_response_still_needs_the_email(
    client, staff_user, forms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, load("typeform", "registration_by_ref"))
    form = TypeformForm.objects.get(form_id="Rg7Ky2")
    client.force_login(staff_user)
    response = client.post(
        f"/admin/students/typeformform/{form.pk}/change/",
        {"form_id": "Rg7Ky2", "purpose": "registration", "ref_full_name": "nombre"},
    )
    assert "Indica al menos la pregunta del email." in response.content.decode()
    form.refresh_from_db()
    assert form.field_refs == REGISTRATION_REFS
