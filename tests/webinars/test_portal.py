"""The student's "Mis webinars" in the portal: coming ones in their time zone with the
join link when it is on and calendar links, past ones with the recording and approved
summary, and a button to register to the webinars their plan includes."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courseops.reviews.models import Draft, DraftStatus
from courseops.reviews.services import create_draft
from students.models import Plan, Student
from tests.webinars.conftest import START
from webinars.models import Recording, Registration, Webinar
from webinars.services import registration_create
from webinars.services.attendance import join_url
from webinars.services.text import local_when

pytestmark = pytest.mark.django_db
PAGE = "/portal/webinars/"
BEFORE = START - timedelta(days=1)


@pytest.fixture
def signed_in(portal_sign_in, student):
    Student.objects.filter(pk=student.pk).update(status=Student.Status.ACTIVE)
    return portal_sign_in(student)


@pytest.fixture
def coming(make_webinar, plan, student):
    webinar = make_webinar(title="Agentes de IA", plans=[plan], is_public=False)
    return registration_create(webinar=webinar, student=student, source="admin")


def _finished(make_webinar, student, plan, *, title, attended, days_ago):
    webinar = make_webinar(
        title=title, plans=[plan], is_public=False, starts_at=START - timedelta(days=days_ago)
    )
    registration = registration_create(webinar=webinar, student=student, source="admin")
    Webinar.objects.filter(pk=webinar.pk).update(status=Webinar.Status.FINISHED)
    Registration.objects.filter(pk=registration.pk).update(attended=attended)
    return webinar


def _with_recording(webinar, *, summary_status):
    recording = Recording.objects.create(
        webinar=webinar, source="upload", watch_url=f"https://youtu.be/rec{webinar.pk}"
    )
    draft = create_draft(
        kind="webinar_summary",
        target=recording,
        subject="Resumen",
        body=f"<p>Lo esencial de {webinar.title}.</p><script>alert(1)</script>",
    )
    Draft.objects.filter(pk=draft.pk).update(status=summary_status)
    return recording


def test_signed_out_visitors_go_to_sign_in(client):
    assert client.get(PAGE).url == "/portal/entrar/"


def test_a_coming_webinar_shows_in_the_students_zone_with_calendar_links(client, signed_in, coming):
    with time_machine.travel(BEFORE, tick=False):
        html = client.get(PAGE).content.decode()

    assert "Agentes de IA" in html
    when = local_when(START, time_zone="America/Mexico_City", language="es")
    assert when in html
    assert "11:00" in when  # 17:00 UTC in Mexico City
    assert "https://calendar.google.com/calendar/render?" in html
    assert "https://outlook.live.com/calendar/" in html
    assert join_url(coming) not in html  # not yet: a day before
    assert "aparecerá aquí 30 minutos antes" in html
    assert '<a href="/portal/webinars/" aria-current="page">Mis webinars</a>' in html


def test_the_tracked_join_link_appears_when_the_webinar_is_about_to_start(
    client, signed_in, coming
):
    with time_machine.travel(START - timedelta(minutes=10), tick=False):
        html = client.get(PAGE).content.decode()

    assert f'href="{join_url(coming)}"' in html


def test_the_ics_is_the_students_own_invitation_and_nobody_elses(client, signed_in, coming, plan):
    with time_machine.travel(BEFORE, tick=False):
        response = client.get(f"/portal/webinars/inscripciones/{coming.pk}/calendario.ics")
        other = Student.objects.create(
            full_name="Otra", email="otra@example.com", plan=plan, source=Student.Source.API
        )
        theirs = registration_create(webinar=coming.webinar, student=other, source="admin")
        refused = client.get(f"/portal/webinars/inscripciones/{theirs.pk}/calendario.ics")

    assert response["Content-Type"].startswith("text/calendar")
    ics = response.content.decode().replace("\r\n ", "")  # unfolded
    assert f"UID:webinar-{coming.webinar.uid}@courseops" in ics
    assert "mailto:lucia@example.com" in ics
    assert refused.status_code == 404


def test_past_webinars_show_attendance_recording_and_only_an_approved_summary(
    client, signed_in, make_webinar, student, plan
):
    with time_machine.travel(START - timedelta(days=30), tick=False):
        seen = _finished(make_webinar, student, plan, title="Visto", attended=True, days_ago=7)
        missed = _finished(make_webinar, student, plan, title="Perdido", attended=None, days_ago=3)
    _with_recording(seen, summary_status=DraftStatus.APPLIED)
    _with_recording(missed, summary_status=DraftStatus.PENDING)

    with time_machine.travel(START, tick=False):
        html = client.get(PAGE).content.decode()

    past = html.split('id="pasados"')[1]
    assert past.index("Perdido") < past.index("Visto")  # the latest first
    assert "Asististe" in past.split("Perdido")[1]
    assert "No asististe" in past.split("Perdido")[1].split("Visto")[0]
    # The recordings open on the portal's replay page, not on their raw links.
    assert f'href="/portal/webinars/{seen.pk}/grabacion/"' in past
    assert f'href="/portal/webinars/{missed.pk}/grabacion/"' in past
    assert "https://youtu.be/rec" not in past
    assert "<p>Lo esencial de Visto.</p>" in past
    assert "Lo esencial de Perdido" not in past  # still under review
    assert "<script>" not in past


def test_a_student_registers_to_a_webinar_of_their_plan_from_the_portal(
    client, signed_in, make_webinar, plan, django_capture_on_commit_callbacks
):
    with time_machine.travel(BEFORE - timedelta(days=5), tick=False):
        webinar = make_webinar(title="Visión artificial", plans=[plan], is_public=False)
        other = make_webinar(
            title="Solo Básico",
            plans=[Plan.objects.create(slug="b", name="B")],
            is_public=False,
        )
    with time_machine.travel(BEFORE, tick=False):
        assert "No tienes webinars próximos" in client.get("/portal/").content.decode()
        html = client.get(PAGE).content.decode()
        assert f"/portal/webinars/{webinar.pk}/inscribirme/" in html
        assert "Solo Básico" not in html
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/portal/webinars/{webinar.pk}/inscribirme/")
        refused = client.post(f"/portal/webinars/{other.pk}/inscribirme/")
        after = client.get(PAGE).content.decode()
        home = client.get("/portal/").content.decode()

    assert response.url == PAGE
    registration = Registration.objects.get(webinar=webinar)
    assert registration.student == signed_in
    assert registration.source == Registration.Source.PORTAL
    assert f"/portal/webinars/{webinar.pk}/inscribirme/" not in after
    assert "Visión artificial" in after.split('id="proximos"')[1].split('id="pasados"')[0]
    assert refused.status_code == 404
    assert not Registration.objects.filter(webinar=other).exists()
    assert "Próximo: Visión artificial" in home  # not the cached "no webinars" of before


def test_a_full_webinar_says_so_instead_of_registering(client, signed_in, make_webinar, plan):
    with time_machine.travel(BEFORE - timedelta(days=5), tick=False):
        webinar = make_webinar(title="Lleno", plans=[plan], is_public=True, capacity=1)
        registration_create(webinar=webinar, email="otro@example.com", source="admin")
    with time_machine.travel(BEFORE, tick=False):
        response = client.post(f"/portal/webinars/{webinar.pk}/inscribirme/")

    assert response.status_code == 400
    assert "No quedan plazas para este webinar." in response.content.decode()


def test_a_refusal_is_in_the_students_language(client, signed_in, make_webinar, plan):
    Student.objects.filter(pk=signed_in.pk).update(language="en")
    with time_machine.travel(BEFORE - timedelta(days=5), tick=False):
        webinar = make_webinar(title="Lleno", plans=[plan], is_public=True, capacity=1)
        registration_create(webinar=webinar, email="otro@example.com", source="admin")
    with time_machine.travel(BEFORE, tick=False):
        response = client.post(f"/portal/webinars/{webinar.pk}/inscribirme/")

    assert response.status_code == 400
    assert "There are no places left for this webinar." in response.content.decode()


def test_the_page_speaks_the_students_language(client, signed_in, coming):
    Student.objects.filter(pk=signed_in.pk).update(language="en")
    with time_machine.travel(BEFORE, tick=False):
        html = client.get(PAGE).content.decode()

    assert "<h1>My webinars</h1>" in html
    assert "Add to Google Calendar" in html


def test_the_home_card_tells_the_next_webinar(client, signed_in, coming):
    with time_machine.travel(BEFORE, tick=False):
        html = client.get("/portal/").content.decode()

    when = local_when(START, time_zone="America/Mexico_City", language="es")
    assert f"Próximo: Agentes de IA, {when}" in html


def _page_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PAGE).status_code == 200
    return len(queries)


def test_the_page_costs_the_same_queries_for_2_and_8_webinars(
    client, signed_in, make_webinar, student, plan
):
    def add(n, start):
        for i in range(start, start + n):
            with time_machine.travel(START - timedelta(days=60), tick=False):
                past = _finished(
                    make_webinar, student, plan, title=f"P{i}", attended=True, days_ago=10 + i
                )
                coming = make_webinar(
                    title=f"C{i}", plans=[plan], is_public=False, starts_at=START + timedelta(i)
                )
                registration_create(webinar=coming, student=student, source="admin")
                make_webinar(title=f"O{i}", plans=[plan], is_public=False)  # open to join
            _with_recording(past, summary_status=DraftStatus.APPROVED)

    add(1, 0)
    with time_machine.travel(BEFORE, tick=False):
        _page_queries(client)  # warms the navigation's cache
        small = _page_queries(client)
        add(3, 1)
        _page_queries(client)
        large = _page_queries(client)

    assert large == small


def test_the_demo_gives_the_first_active_student_a_coming_and_a_past_webinar(
    signed_in, staff_user, django_capture_on_commit_callbacks
):
    from webinars.demo import load_webinars_demo
    from webinars.portal.services import my_webinars

    with django_capture_on_commit_callbacks(execute=True):
        load_webinars_demo(staff=staff_user)
        load_webinars_demo(staff=staff_user)

    page = my_webinars(Student.objects.get(pk=signed_in.pk))
    assert [item["webinar"].title for item in page["coming"]] == [
        "IA generativa para tu negocio (demo)"
    ]
    [past] = page["past"]
    assert past["attended"] is True
    assert past["replay_url"] == f"/portal/webinars/{past['webinar'].pk}/grabacion/"
