from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courseops.reviews.models import Draft
from tests.webinars.conftest import START
from webinars.models import Recording, Registration, Webinar
from webinars.services import registration_create

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:webinars_webinar_changelist")


@pytest.fixture
def finished(make_webinar):
    def make(count=1, title="Pasado"):
        made = []
        for index in range(count):
            with time_machine.travel(START - timedelta(days=3), tick=False):
                webinar = make_webinar(title=f"{title} {index}")
                for person in ("ana", "bob"):
                    registration_create(
                        webinar=webinar, email=f"{person}{index}@example.com", source="api"
                    )
            Webinar.objects.filter(pk=webinar.pk).update(status=Webinar.Status.FINISHED)
            Registration.objects.filter(webinar=webinar, email__startswith="ana").update(
                attended=True
            )
            made.append(webinar)
        return made

    return make


def test_the_list_shows_the_attendance_rate_in_constant_queries(client, staff_user, finished):
    client.force_login(staff_user)
    finished(2, "Corto")
    with CaptureQueriesContext(connection) as small:
        response = client.get(CHANGELIST)
    assert "1/2 (50 %)" in response.text
    finished(12, "Largo")
    with CaptureQueriesContext(connection) as large:
        response = client.get(CHANGELIST)
    assert "Largo 11" in response.text
    assert len(small) == len(large)


def test_staff_import_a_csv_and_see_the_report_per_row(client, staff_user, finished):
    client.force_login(staff_user)
    (webinar,) = finished()
    url = reverse("admin:webinars_webinar_attendance", args=[webinar.pk])
    csv = b"email,minutes\nbob0@example.com,42\nnadie@example.com,10\n"

    response = client.post(
        url, {"file": SimpleUploadedFile("a.csv", csv, "text/csv"), "settle": "on"}
    )

    assert response.status_code == 200
    assert "no inscrito" in response.text
    assert Registration.objects.get(email="bob0@example.com").minutes_attended == 42
    webinar.refresh_from_db()
    assert webinar.attendance_settled_at is not None

    bad = client.post(url, {"file": SimpleUploadedFile("a.csv", b"nombre\nAna\n")})
    assert bad.status_code == 400
    assert "columna de email" in bad.text


def test_staff_upload_a_transcript_and_the_page_shows_recording_and_summary(
    client, staff_user, finished, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(staff_user)
    (webinar,) = finished()
    url = reverse("admin:webinars_webinar_recording", args=[webinar.pk])
    assert client.post(url, {}).status_code == 400  # neither link nor file

    vtt = b"WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nHola a todos.\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {"watch_url": "https://youtu.be/x", "file": SimpleUploadedFile("s.vtt", vtt)},
        )
    assert response.status_code == 302
    assert Recording.objects.get().transcript == "Hola a todos."

    page = client.get(reverse("admin:webinars_webinar_change", args=[webinar.pk]))
    assert "Resumen pendiente de revisión" in page.text
    draft = Draft.objects.get(kind="webinar_summary", data__language="es")
    assert reverse("admin:reviews_draft_change", args=[draft.pk]) in page.text
    assert "1 asistieron" in page.text
    assert "Importar asistencia (CSV)" in page.text
