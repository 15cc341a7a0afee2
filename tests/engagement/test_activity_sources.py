"""Events arrive from the portal, other apps' signals, the API, a CSV export and Thinkific."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from rest_framework.test import APIClient

from courseops.webhooks.models import WebhookEvent
from engagement.models import ActivityEvent, ActivityKind, StudentProgress
from students.portal.services import sign_in_link
from tests.engagement.conftest import NOW
from webinars.models import Registration, Webinar
from webinars.signals import webinar_attended, webinar_missed

pytestmark = pytest.mark.django_db


def event_row(n, **kwargs):
    row = {
        "id": f"ev-{n}",
        "email": "LUCIA@example.com",
        "kind": "lesson_completed",
        "occurred_at": (NOW - timedelta(hours=n)).isoformat(),
        "object_type": "lesson",
        "object_id": f"les-{n}",
    }
    row.update(kwargs)
    return row


def test_signing_in_to_the_portal_records_a_sign_in(student, client):
    with time_machine.travel(NOW, tick=False):
        client.post(sign_in_link(student=student).removeprefix("http://127.0.0.1:8000"))

    event = ActivityEvent.objects.get(student=student)
    assert (event.kind, event.source, event.occurred_at) == ("sign_in", "portal", NOW)
    assert StudentProgress.objects.get(student=student).last_activity_at == NOW


def test_webinar_attendance_and_absence_signals_move_progress_once_each(student, make_student):
    # Rows as the webinars app leaves them once attendance is known.
    webinar = Webinar.objects.create(title="IA aplicada", starts_at=NOW, time_zone="UTC")
    attended = Registration.objects.create(webinar=webinar, student=student, email=student.email)
    other = make_student()
    missed = Registration.objects.create(webinar=webinar, student=other, email=other.email)

    for _ in range(2):  # sent again: still counted once
        webinar_attended.send(
            sender=None, registration=attended, webinar=webinar, student=student, minutes=50
        )
        webinar_missed.send(sender=None, registration=missed, webinar=webinar, student=other)
    webinar_attended.send(sender=None, registration=missed, webinar=webinar, student=None)

    assert StudentProgress.objects.get(student=student).webinars_attended == 1
    assert StudentProgress.objects.get(student=other).webinars_missed == 1
    event = ActivityEvent.objects.get(student=student)
    assert (event.target, event.metadata["minutes"]) == (webinar, 50)


def test_the_api_takes_a_batch_and_a_retried_batch_records_nothing_twice(student, api_client):
    events = [event_row(n) for n in range(3)]
    with time_machine.travel(NOW, tick=False):
        first = api_client.post("/api/v1/activity/", {"events": events}, format="json")
        again = api_client.post("/api/v1/activity/", {"events": events}, format="json")

    assert first.status_code == 200, first.json()
    assert first.json() == {"accepted": 3, "duplicates": 0}
    assert again.json() == {"accepted": 0, "duplicates": 3}
    assert StudentProgress.objects.get(student=student).lessons_completed == 3
    stored = ActivityEvent.objects.get(external_id__endswith=":ev-0")
    assert stored.metadata == {"object_type": "lesson", "object_id": "les-0"}


def test_a_batch_with_bad_events_says_what_is_wrong_with_each_and_stores_nothing(
    student, api_client
):
    events = [
        event_row(0),
        event_row(1, kind="dancing"),
        event_row(2, email="nobody@example.com"),
        event_row(3, occurred_at="2026-11-20T10:00:00"),
        {"id": "ev-4", "kind": "sign_in", "occurred_at": NOW.isoformat()},
    ]
    with time_machine.travel(NOW, tick=False):
        response = api_client.post("/api/v1/activity/", {"events": events}, format="json")

    assert response.status_code == 400
    assert sorted(response.json()["errores"]) == [
        "events.1.kind",
        "events.2.student",
        "events.3.occurred_at",
        "events.4.student",
    ]
    assert not ActivityEvent.objects.exists()


def test_the_api_refuses_more_than_1000_events_and_anonymous_callers(student, api_client):
    too_many = api_client.post(
        "/api/v1/activity/", {"events": [event_row(n) for n in range(1001)]}, format="json"
    )
    anonymous = APIClient().post("/api/v1/activity/", {"events": [event_row(0)]}, format="json")
    empty = api_client.post("/api/v1/activity/", {"events": []}, format="json")

    assert too_many.status_code == 400
    assert "1000" in too_many.json()["errores"]["events"][0]
    assert anonymous.status_code in (401, 403)
    assert empty.status_code == 400
    assert not ActivityEvent.objects.exists()


def test_a_students_progress_is_readable_through_the_api(student, api_client):
    with time_machine.travel(NOW, tick=False):
        api_client.post("/api/v1/activity/", {"events": [event_row(0)]}, format="json")
        response = api_client.get(f"/api/v1/students/{student.pk}/progress/")

    assert response.status_code == 200
    assert response.json()["lessons_completed"] == 1
    assert response.json()["days_inactive"] == 0


def test_the_csv_import_records_valid_rows_reports_bad_ones_and_is_idempotent(
    student, tmp_path, capsys
):
    path = tmp_path / "export.csv"
    path.write_text(
        "id;email;kind;occurred_at;object_id\n"
        "a1;lucia@example.com;lesson_completed;2026-11-19 10:00;l1\n"
        "a2;lucia@example.com;sign_in;2026-11-19T11:00:00+00:00;\n"
        "a3;nadie@example.com;sign_in;2026-11-19T11:00:00+00:00;\n",
        encoding="utf-8",
    )
    with time_machine.travel(NOW, tick=False):
        call_command("import_activity", str(path), "--time-zone", "America/Mexico_City")
        call_command("import_activity", str(path))

    output = capsys.readouterr().out
    assert "line 4\tstudent" in output
    assert "3 rows: 2 recorded, 0 already recorded, 1 with errors." in output
    assert "3 rows: 0 recorded, 2 already recorded, 1 with errors." in output
    completed = ActivityEvent.objects.get(kind=ActivityKind.LESSON_COMPLETED)
    assert completed.occurred_at.isoformat() == "2026-11-19T16:00:00+00:00"  # 10:00 local


def test_an_impossible_date_in_the_csv_is_that_rows_error_not_a_crash(student, tmp_path, capsys):
    path = tmp_path / "export.csv"
    path.write_text(
        "id;email;kind;occurred_at\n"
        "b1;lucia@example.com;sign_in;2026-02-30 10:00\n"
        "b2;lucia@example.com;sign_in;2026-11-19T11:00:00+00:00\n",
        encoding="utf-8",
    )
    with time_machine.travel(NOW, tick=False):
        call_command("import_activity", str(path))

    assert "2 rows: 1 recorded, 0 already recorded, 1 with errors." in capsys.readouterr().out


THINKIFIC_KEY = "thinkific-site-key"


def thinkific_post(client, payload, *, key=THINKIFIC_KEY):
    body = json.dumps(payload).encode()
    signature = hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        "/webhooks/thinkific/",
        data=body,
        content_type="application/json",
        HTTP_X_THINKIFIC_HMAC_SHA256=signature,
        HTTP_X_THINKIFIC_TOPIC=f"{payload['resource']}.{payload['action']}",
    )


def lesson_completed_delivery(event_id="20261120001"):
    return {
        "id": event_id,
        "resource": "lesson",
        "action": "completed",
        "tenant_id": "59",
        "created_at": "2026-11-20T17:00:00.000Z",
        "payload": {
            "lesson": {"id": 881, "name": "Prompts"},
            "course": {"id": 12, "name": "IA"},
            "user": {"id": 4242, "email": "lucia@example.com"},
            "completed_at": "2026-11-20T16:59:00.000Z",
        },
    }


def test_thinkific_lesson_completed_and_sign_in_webhooks_record_activity(
    student, client, settings, django_capture_on_commit_callbacks
):
    settings.THINKIFIC_API_KEY = THINKIFIC_KEY
    student.lms_user_id = "4242"
    student.save()
    signin = {
        "id": "20261120002",
        "resource": "user",
        "action": "signin",
        "created_at": "2026-11-20T17:30:00.000Z",
        "payload": {"id": 4242, "email": "other-address@example.com"},
    }
    with django_capture_on_commit_callbacks(execute=True):
        first = thinkific_post(client, lesson_completed_delivery())
        replay = thinkific_post(client, lesson_completed_delivery())
        thinkific_post(client, signin)

    assert (first.status_code, replay.json()["status"]) == (200, "duplicate")
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}
    kinds = dict(ActivityEvent.objects.values_list("kind", "source"))
    assert kinds == {"lesson_completed": "thinkific", "sign_in": "thinkific"}
    progress = StudentProgress.objects.get(student=student)
    assert progress.lessons_completed == 1
    assert progress.last_activity_at.isoformat() == "2026-11-20T17:30:00+00:00"


def test_thinkific_webhooks_need_a_valid_signature_and_a_known_student(
    student, client, settings, django_capture_on_commit_callbacks
):
    settings.THINKIFIC_API_KEY = THINKIFIC_KEY
    forged = thinkific_post(client, lesson_completed_delivery("x1"), key="wrong")
    unknown = lesson_completed_delivery("x2")
    unknown["payload"]["user"] = {"id": 1, "email": "ghost@example.com"}
    with django_capture_on_commit_callbacks(execute=True):
        thinkific_post(client, unknown)

    assert forged.status_code == 401
    event = WebhookEvent.objects.get()
    assert event.status == "failed"
    assert "ghost@example.com" in event.last_error
    assert not ActivityEvent.objects.exists()


def test_the_student_sees_their_progress_in_the_portal(student, client, make_lesson):
    from content.signals import lesson_completed

    with time_machine.travel(NOW, tick=False):
        lesson_completed.send(sender=None, lesson=make_lesson(), student=student, at=NOW)
        client.post(sign_in_link(student=student).removeprefix("http://127.0.0.1:8000"))
        page = client.get("/portal/progreso/")

    text = page.content.decode()
    assert page.status_code == 200
    assert "1 lección completada" in text
    assert "1 día seguido" in text
    assert client.get("/portal/salir/").status_code == 405
    client.post("/portal/salir/")
    assert client.get("/portal/progreso/").status_code == 302


def test_a_student_who_opts_in_gets_one_weekly_progress_email_after_quiet_hours(
    student, make_student, client
):
    from courseops.messaging.models import OutboundMessage
    from engagement.services.student_digest import send_weekly_progress

    with time_machine.travel(NOW, tick=False):
        client.post(sign_in_link(student=student).removeprefix("http://127.0.0.1:8000"))
        client.post("/portal/progreso/", {"weekly_email": "on"})
        page = client.get("/portal/progreso/").content.decode()
    assert 'name="weekly_email" checked' in page
    make_student()  # did not opt in
    monday_early = NOW.replace(day=23, hour=12)  # 06:00 in Mexico City

    with time_machine.travel(monday_early, tick=False):
        assert send_weekly_progress() == 1
        send_weekly_progress()  # the beat fired twice

    message = OutboundMessage.objects.get()
    assert message.recipient == student.email
    assert message.send_at.isoformat() == "2026-11-23T14:00:00+00:00"  # 08:00 local
    assert "Hola, Lucía:" in message.text_body
