from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from icalendar import Calendar

from tests.webinars.conftest import START
from webinars.forms import SMS_CONSENT_TEXT
from webinars.models import Registration

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_before_the_webinar")]


@pytest.fixture
def _before_the_webinar():
    with time_machine.travel(START - timedelta(days=20), tick=False):
        yield


def form(**overrides):
    data = {
        "name": "Ana Gómez",
        "email": "ana.gomez@example.com",
        "phone": "+34600111222",
        "time_zone": "Europe/Madrid",
        "sms_consent": "on",
        "website": "",
    }
    data.update(overrides)
    return data


def test_the_public_page_is_in_spanish_with_the_local_time_and_a_labelled_form(
    client, make_webinar
):
    webinar = make_webinar()

    response = client.get(reverse("webinars:register", args=[webinar.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Inscríbete gratis" in html
    assert "11:00" in html  # the webinar's own time zone
    assert '<label for="id_email">' in html
    assert 'aria-hidden="true"' in html  # the honeypot is hidden from screen readers


def test_registering_on_the_page_records_the_consent_text_and_sends_the_confirmation(
    client, make_webinar, django_capture_on_commit_callbacks
):
    webinar = make_webinar()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("webinars:register", args=[webinar.pk]), form())

    assert response.status_code == 200
    assert "Tu plaza está reservada" in response.content.decode()
    registration = Registration.objects.get()
    assert registration.source == Registration.Source.PAGE
    assert registration.sms_consent is True
    assert registration.consent_text == str(SMS_CONSENT_TEXT)
    assert registration.phone == "+34600111222"
    assert registration.time_zone == "Europe/Madrid"
    assert mail.outbox[0].to == ["ana.gomez@example.com"]


def test_the_honeypot_stores_nothing(client, make_webinar):
    webinar = make_webinar()

    response = client.post(
        reverse("webinars:register", args=[webinar.pk]), form(website="http://spam")
    )

    assert response.status_code == 200
    assert not Registration.objects.exists()


def test_bad_input_shows_form_errors_not_a_500(client, make_webinar):
    webinar = make_webinar(capacity=0)

    bad = client.post(
        reverse("webinars:register", args=[webinar.pk]), form(email="nope", time_zone="Mars/Base")
    )
    full = client.post(reverse("webinars:register", args=[webinar.pk]), form())

    assert bad.status_code == 400
    assert "Zona horaria desconocida" in bad.content.decode()
    assert full.status_code == 400
    assert "No quedan plazas" in full.content.decode()
    assert not Registration.objects.exists()


def test_a_members_only_webinar_has_no_public_page(client, make_webinar, plan):
    webinar = make_webinar(is_public=False, plans=[plan])

    assert client.get(reverse("webinars:register", args=[webinar.pk])).status_code == 404


def test_the_feed_lists_public_webinars_only(client, make_webinar, plan):
    public = make_webinar(title="Abierto")
    make_webinar(title="Solo alumnos", is_public=False, plans=[plan])

    response = client.get(reverse("webinars:feed"))
    single = client.get(reverse("webinars:ics", args=[public.pk]))

    assert response["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert [str(event["SUMMARY"]) for event in events] == ["Abierto"]
    assert [str(e["UID"]) for e in Calendar.from_ical(single.content).walk("VEVENT")] == [
        f"webinar-{public.uid}@courseops"
    ]


def test_the_api_registers_once_and_says_whether_it_was_new(
    api_client, make_webinar, django_capture_on_commit_callbacks
):
    webinar = make_webinar()
    url = f"/api/v1/webinars/{webinar.pk}/registrations/"
    payload = {"email": "api@example.com", "name": "Integración", "time_zone": "America/Bogota"}

    with django_capture_on_commit_callbacks(execute=True):
        first = api_client.post(url, payload, format="json")
        again = api_client.post(url, payload, format="json")

    assert first.status_code == 201
    assert again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert Registration.objects.get().source == Registration.Source.API


def test_the_api_answers_bad_input_and_closed_webinars_with_400(api_client, make_webinar):
    webinar = make_webinar(schedule=False)
    url = f"/api/v1/webinars/{webinar.pk}/registrations/"

    invalid = api_client.post(url, {"email": "x"}, format="json")
    closed = api_client.post(url, {"email": "ok@example.com"}, format="json")
    consent = api_client.post(url, {"email": "ok@example.com", "sms_consent": True}, format="json")

    # The API's one error shape (it was {"email": [...]} and {"detail": ...} here).
    assert invalid.status_code == 400
    assert list(invalid.json()["errores"]) == ["email"]
    assert closed.status_code == 400
    assert sorted(closed.json()) == ["detail", "errores"]
    assert "cerradas" in closed.json()["detail"]
    assert consent.status_code == 400
    assert list(consent.json()["errores"]) == ["consent_text"]
    assert not Registration.objects.exists()


def test_the_api_lists_webinars_with_their_registration_counts(
    api_client, make_webinar, django_capture_on_commit_callbacks
):
    webinar = make_webinar()
    with django_capture_on_commit_callbacks(execute=True):
        created = api_client.post(
            f"/api/v1/webinars/{webinar.pk}/registrations/",
            {"email": "a@example.com"},
            format="json",
        )
    assert created.status_code == 201

    listing = api_client.get("/api/v1/webinars/")
    detail = api_client.get(f"/api/v1/webinars/{webinar.pk}/")

    assert listing.json()["results"][0]["registrations"] == 1
    assert detail.json()["meeting_url"] == webinar.meeting_url
