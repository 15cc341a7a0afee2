from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courseops.messaging.models import OutboundMessage
from tests.webinars.conftest import START
from webinars.models import Registration, Webinar
from webinars.services import registration_create, scan_due_reminders

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_before_the_webinar")]
CHANGELIST = reverse("admin:webinars_webinar_changelist")


@pytest.fixture
def _before_the_webinar():
    with time_machine.travel(START - timedelta(days=20), tick=False):
        yield


def populate(make_webinar, capture, count, start=0):
    for index in range(start, start + count):
        webinar = make_webinar(title=f"Webinar {index}")
        with capture(execute=True):
            registration_create(webinar=webinar, email=f"p{index}@example.com", source="api")


def changelist_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    return len(queries), response


def test_the_webinar_list_loads_in_the_same_number_of_queries_for_2_and_20_rows(
    client, staff_user, make_webinar, django_capture_on_commit_callbacks
):
    client.force_login(staff_user)
    populate(make_webinar, django_capture_on_commit_callbacks, 2)
    small, response = changelist_queries(client)
    assert "Webinar 1" in response.text
    assert "texto IA pendiente de aprobar" in response.text

    populate(make_webinar, django_capture_on_commit_callbacks, 18, start=2)
    large, response = changelist_queries(client)

    assert "Webinar 19" in response.text
    assert small == large


def test_the_webinar_page_shows_registrants_and_the_reminder_timeline(
    client, staff_user, make_webinar, django_capture_on_commit_callbacks
):
    client.force_login(staff_user)
    populate(make_webinar, django_capture_on_commit_callbacks, 1)
    webinar = Webinar.objects.get()
    with (
        time_machine.travel(START - timedelta(days=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        scan_due_reminders()

    response = client.get(reverse("admin:webinars_webinar_change", args=[webinar.pk]))

    assert response.status_code == 200
    assert "p0@example.com" in response.text
    assert "esperando aprobación" in response.text  # the 7-day text
    assert "2026-12-09 11:00" in response.text  # the 1-day reminder, local time


def test_staff_can_send_themselves_the_reminders_as_a_test(client, staff_user, make_webinar):
    client.force_login(staff_user)
    webinar = make_webinar()

    client.post(CHANGELIST, {"action": "send_test_reminders", "_selected_action": [webinar.pk]})

    tests = OutboundMessage.objects.filter(idempotency_key__startswith="webinars.test.")
    assert tests.count() == 4
    assert set(tests.values_list("recipient", flat=True)) == {"ana@example.com"}


def test_staff_cancel_from_the_list_and_registrants_are_told(
    client, staff_user, make_webinar, django_capture_on_commit_callbacks
):
    client.force_login(staff_user)
    populate(make_webinar, django_capture_on_commit_callbacks, 1)
    webinar = Webinar.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(CHANGELIST, {"action": "cancel", "_selected_action": [webinar.pk]})

    webinar.refresh_from_db()
    assert webinar.status == Webinar.Status.CANCELLED
    assert OutboundMessage.objects.filter(
        idempotency_key__startswith="webinars.cancellation."
    ).exists()


def test_staff_reschedule_in_the_webinar_time_zone(
    client, staff_user, make_webinar, django_capture_on_commit_callbacks
):
    client.force_login(staff_user)
    populate(make_webinar, django_capture_on_commit_callbacks, 1)
    webinar = Webinar.objects.get()
    url = reverse("admin:webinars_webinar_reschedule", args=[webinar.pk])

    assert client.get(url).status_code == 200
    past = client.post(url, {"starts_at": "2020-01-01T10:00"})
    with django_capture_on_commit_callbacks(execute=True):
        moved = client.post(url, {"starts_at": "2026-12-12T10:30"})

    assert "debe ser futura" in past.text
    assert moved.status_code == 302
    webinar.refresh_from_db()
    assert webinar.starts_at == START.replace(day=12, hour=16, minute=30)  # 10:30 in CDMX
    assert webinar.ics_sequence == 1
    assert Registration.objects.get().webinar_id == webinar.pk


def test_creating_a_webinar_in_the_admin_gives_it_the_default_reminders(client, staff_user):
    client.force_login(staff_user)
    add = reverse("admin:webinars_webinar_add")
    data = {
        "title": "Nuevo",
        "description": "",
        "starts_at_0": "2026-12-20",
        "starts_at_1": "18:00:00",
        "time_zone": "America/Bogota",
        "duration_minutes": 60,
        "language": "es",
        "is_public": "on",
    }

    response = client.post(add, data)

    assert response.status_code == 302, response.text[:3000]
    webinar = Webinar.objects.get()
    assert webinar.reminders.count() == 4
    assert webinar.status == Webinar.Status.DRAFT


def test_demo_data_loads_twice_without_duplicates(django_capture_on_commit_callbacks, staff_user):
    from webinars.demo import load_webinars_demo

    with django_capture_on_commit_callbacks(execute=True):
        load_webinars_demo(staff=staff_user)
        load_webinars_demo(staff=staff_user)

    statuses = sorted(Webinar.objects.values_list("status", flat=True))
    assert statuses == ["finished", "scheduled", "scheduled"]
    assert Registration.objects.count() == 6
    # The past one: attendance settled, a transcribed recording, its summary to review.
    from courseops.reviews.models import Draft
    from webinars.models import Recording

    past = Webinar.objects.get(status="finished")
    assert past.attendance_settled_at is not None
    attended = past.registrations.filter(attended=True)
    assert sorted(attended.values_list("minutes_attended", flat=True)) == [35, 58]
    assert past.registrations.filter(attended=False).count() == 1
    recording = Recording.objects.get(webinar=past)
    assert "agente de IA" in recording.transcript
    assert Draft.objects.filter(kind="webinar_summary", status="pending").count() == 1


def test_the_reminder_scan_is_installed_as_a_periodic_task():
    from django_celery_beat.models import PeriodicTask

    from courseops.core.schedules import install_periodic_tasks

    install_periodic_tasks()

    task = PeriodicTask.objects.get(name="webinars.scan_reminders")
    assert task.task == "webinars.scan_reminders"
    assert task.interval.every == 60


def test_the_add_page_and_the_registration_list_render(client, staff_user, make_webinar):
    client.force_login(staff_user)
    make_webinar()

    add = client.get(reverse("admin:webinars_webinar_add"))
    registrations = client.get(reverse("admin:webinars_registration_changelist"))

    assert add.status_code == 200
    assert registrations.status_code == 200


def test_the_list_shows_each_webinar_at_its_own_local_time(client, staff_user, make_webinar):
    make_webinar(title="Madrid", time_zone="Europe/Madrid")
    client.force_login(staff_user)

    page = client.get(CHANGELIST).content.decode()

    # 17:00 UTC is 18:00 in Madrid (the business's own zone would say 11:00).
    assert "18:00, hora de España (Madrid)" in page


def test_the_webinar_page_costs_the_same_queries_for_3_and_40_registrants(
    client, staff_user, make_webinar, django_capture_on_commit_callbacks
):
    client.force_login(staff_user)
    webinar = make_webinar()
    page = reverse("admin:webinars_webinar_change", args=[webinar.pk])

    def register(first, count):
        for n in range(first, first + count):
            with django_capture_on_commit_callbacks(execute=True):
                registration_create(webinar=webinar, email=f"r{n}@example.com", source="api")

    def visit():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page)
        assert response.status_code == 200
        return response.text, len(queries)

    register(0, 3)
    text, small = visit()
    assert "r2@example.com" in text
    register(3, 37)
    text, large = visit()

    assert large == small
    # The latest registrants inline, all of them behind the registrants' list link.
    assert "r39@example.com" in text
    assert "r15@example.com" in text  # the 25th newest
    assert "r14@example.com" not in text
    assert f"?webinar__id__exact={webinar.pk}" in text
    listed = client.get(
        reverse("admin:webinars_registration_changelist") + f"?webinar__id__exact={webinar.pk}"
    )
    assert "r14@example.com" in listed.text
