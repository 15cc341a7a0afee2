"""Teachable's webhook door: a completed lecture (LectureProgress.created) is student activity.

The delivery's shape ({id, type, created, hook_event_id, object}) and the
`Teachable-Signature` header (hex HMAC-SHA256 of the raw body) follow Teachable's webhook
guide (support.teachable.com "Webhooks"; the signature scheme as described by
teachable.expert/api-guides/webhook-sigatures): not confirmed against a live delivery.
"""

import hashlib
import hmac
import json

import pytest

from courseops.webhooks.models import WebhookEvent
from engagement.models import ActivityEvent, StudentProgress

pytestmark = pytest.mark.django_db
SECRET = "teachable-webhook-secret"


def post(client, payload, *, secret=SECRET):
    body = json.dumps(payload).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        "/webhooks/teachable/",
        data=body,
        content_type="application/json",
        headers={"Teachable-Signature": signature},
    )


def lecture_progress(hook_event_id=70001, user=None):
    return {
        "id": 123456,
        "type": "LectureProgress.created",
        "created": "2026-11-20T17:00:00Z",
        "hook_event_id": hook_event_id,
        "object": {
            "id": 9911,
            "created_at": "2026-11-20T16:59:00Z",
            "percent_complete": 100,
            "lecture": {"id": 881, "name": "Prompts"},
            "course": {"id": 101, "name": "IA"},
            "user": user or {"id": 4242, "email": "lucia@example.com", "name": "Lucía"},
        },
    }


def test_a_completed_lecture_is_recorded_once_however_often_teachable_sends_it(
    student, client, settings, django_capture_on_commit_callbacks
):
    settings.TEACHABLE_WEBHOOK_SECRET = SECRET
    student.lms_user_id = "4242"
    student.save()

    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, lecture_progress())
        replay = post(client, lecture_progress())

    assert first.status_code == 200
    assert replay.json()["status"] == "duplicate"
    activity = ActivityEvent.objects.get()
    assert (activity.kind, activity.source) == ("lesson_completed", "teachable")
    assert activity.metadata["object_id"] == "881"
    assert activity.metadata["course_id"] == "101"
    assert activity.occurred_at.isoformat() == "2026-11-20T16:59:00+00:00"
    assert StudentProgress.objects.get(student=student).lessons_completed == 1


def test_unsigned_or_forged_deliveries_are_refused_and_unknown_users_fail_visibly(
    student, client, settings, django_capture_on_commit_callbacks
):
    settings.TEACHABLE_WEBHOOK_SECRET = SECRET
    forged = post(client, lecture_progress(1), secret="wrong")
    unsigned = client.post(
        "/webhooks/teachable/",
        data=json.dumps(lecture_progress(2)),
        content_type="application/json",
    )
    with django_capture_on_commit_callbacks(execute=True):
        post(client, lecture_progress(3, user={"id": 1, "email": "ghost@example.com"}))

    assert forged.status_code == 401
    assert unsigned.status_code == 401
    event = WebhookEvent.objects.get()
    assert event.status == "failed"
    assert "ghost@example.com" in event.last_error
    assert not ActivityEvent.objects.exists()


def test_the_door_is_shut_while_no_secret_is_set(client, settings):
    settings.TEACHABLE_WEBHOOK_SECRET = ""

    assert post(client, lecture_progress()).status_code == 403
