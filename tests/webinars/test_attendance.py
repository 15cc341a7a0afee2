from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command

from tests.webinars.conftest import START
from webinars.models import Registration, Webinar
from webinars.services import registration_create
from webinars.services.attendance import attendance_settle, join_url, settle_due_attendance
from webinars.services.attendance_import import attendance_import_csv
from webinars.signals import webinar_attended, webinar_missed

pytestmark = pytest.mark.django_db


@pytest.fixture
def signals():
    seen = {"attended": [], "missed": []}

    def attended(sender, registration, webinar, student, minutes, **kwargs):
        seen["attended"].append((registration.email, minutes))

    def missed(sender, registration, webinar, student, **kwargs):
        seen["missed"].append(registration.email)

    webinar_attended.connect(attended, dispatch_uid="test-attended")
    webinar_missed.connect(missed, dispatch_uid="test-missed")
    yield seen
    webinar_attended.disconnect(dispatch_uid="test-attended")
    webinar_missed.disconnect(dispatch_uid="test-missed")


@pytest.fixture
def registered(make_webinar, student):
    with time_machine.travel(START - timedelta(days=3), tick=False):
        webinar = make_webinar()
        people = [
            registration_create(webinar=webinar, student=student, source="onboarding"),
            registration_create(
                webinar=webinar, email="ana@example.com", name="Ana", source="page"
            ),
            registration_create(
                webinar=webinar, email="bob@example.com", name="Bob", source="page"
            ),
        ]
    return webinar, people


def _finish(webinar):
    Webinar.objects.filter(pk=webinar.pk).update(status=Webinar.Status.FINISHED)
    webinar.refresh_from_db()


ZOOM_EXPORT = (
    "Meeting ID,Topic,Start Time\n"
    "812 3456 7890,IA para tu negocio,12/10/2026 11:00:00 AM\n"
    "\n"
    "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\n"
    "Lucía,LUCIA@example.com,12/10/2026 11:00,12/10/2026 11:20,20,No\n"
    "Lucía,lucia@example.com,12/10/2026 11:30,12/10/2026 11:55,25,No\n"
    "Ana,ana@example.com,12/10/2026 11:00,12/10/2026 11:01,abc,No\n"
    "Zoe,zoe@example.com,12/10/2026 11:00,12/10/2026 12:00,60,Yes\n"
    "Nadie,not-an-email,12/10/2026 11:00,12/10/2026 12:00,60,Yes\n"
).encode()


def test_a_zoom_attendee_export_is_matched_by_email_with_a_report_per_row(
    registered, signals, django_capture_on_commit_callbacks
):
    webinar, (lucia, ana, bob) = registered
    _finish(webinar)

    with django_capture_on_commit_callbacks(execute=True):
        report = attendance_import_csv(webinar=webinar, content=ZOOM_EXPORT, settle=True)

    outcomes = [(row.line, row.email, row.outcome) for row in report.rows]
    assert outcomes == [
        (5, "lucia@example.com", "attended"),  # two sessions of one person add up
        (7, "ana@example.com", "invalid"),
        (8, "zoe@example.com", "unknown"),
        (9, "not-an-email", "invalid"),
    ]
    lucia.refresh_from_db()
    assert (lucia.attended, lucia.minutes_attended, lucia.attendance_source) == (True, 45, "csv")
    assert signals["attended"] == [("lucia@example.com", 45)]
    assert sorted(signals["missed"]) == ["ana@example.com", "bob@example.com"]
    assert report.absentees_announced == 2
    assert Registration.objects.get(pk=bob.pk).attended is False

    # Importing again (or settling again) announces nothing twice.
    with django_capture_on_commit_callbacks(execute=True):
        attendance_import_csv(webinar=webinar, content=ZOOM_EXPORT, settle=True)
        assert attendance_settle(webinar=webinar) == 0
    assert len(signals["attended"]) == 1
    assert len(signals["missed"]) == 2


def test_our_own_columns_and_the_management_command(registered, tmp_path, capsys):
    webinar, (lucia, ana, bob) = registered
    path = tmp_path / "asistencia.csv"
    path.write_text("correo;minutos;asistió\nana@example.com;0;no\nbob@example.com;30;sí\n")

    call_command("import_attendance", str(webinar.pk), str(path))

    assert "asistieron=1 ausentes=1" in capsys.readouterr().out
    assert Registration.objects.get(pk=ana.pk).attended is False
    assert Registration.objects.get(pk=bob.pk).minutes_attended == 30


def test_a_csv_without_an_email_column_is_refused_with_a_clear_message(registered):
    from django.core.exceptions import ValidationError

    webinar, _people = registered
    with pytest.raises(ValidationError, match="columna de email"):
        attendance_import_csv(webinar=webinar, content=b"name,minutes\nAna,3\n")
    with pytest.raises(ValidationError, match="UTF-8"):
        attendance_import_csv(webinar=webinar, content="email\nañ@x.com".encode("latin-1"))


def test_the_tracked_join_link_counts_the_click_once_and_redirects(
    client, registered, signals, django_capture_on_commit_callbacks
):
    webinar, (lucia, ana, bob) = registered
    url = join_url(ana).removeprefix("http://127.0.0.1:8000")

    with time_machine.travel(START - timedelta(days=1), tick=False):
        early = client.get(url)  # the day before: a link check, not attendance
    assert early.status_code == 302
    assert early["Location"] == webinar.meeting_url
    assert Registration.objects.get(pk=ana.pk).attended is None

    with (
        time_machine.travel(START + timedelta(minutes=5), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert client.head(url).status_code == 302  # a mail scanner: not counted
        assert Registration.objects.get(pk=ana.pk).attended is None
        client.get(url)
        client.get(url)

    ana.refresh_from_db()
    assert ana.attended is True
    assert ana.attendance_source == "join_link"
    assert signals["attended"] == [("ana@example.com", None)]
    assert client.get(url[:-3] + "xx/").status_code == 404


def test_finished_webinars_settle_after_the_grace_period(
    registered, signals, django_capture_on_commit_callbacks
):
    webinar, _people = registered
    _finish(webinar)
    with django_capture_on_commit_callbacks(execute=True):
        assert settle_due_attendance(now=webinar.ends_at + timedelta(hours=1)) == []
        assert settle_due_attendance(now=webinar.ends_at + timedelta(hours=25)) == [webinar.pk]
        assert settle_due_attendance(now=webinar.ends_at + timedelta(hours=26)) == []
    assert len(signals["missed"]) == 3


def test_the_after_webinar_scans_are_installed_as_periodic_tasks():
    from django_celery_beat.models import PeriodicTask

    from courseops.core.schedules import install_periodic_tasks

    install_periodic_tasks()

    tasks = dict(PeriodicTask.objects.values_list("name", "task"))
    assert tasks["webinars.reconcile_zoom"] == "webinars.reconcile_zoom"
    assert tasks["webinars.settle_attendance"] == "webinars.settle_attendance"
