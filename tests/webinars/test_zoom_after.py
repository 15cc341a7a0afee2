"""Zoom after the meeting: signed webhooks (real payload shapes), the URL validation
challenge, attendance pairs, the recording, and the REST reconciliation (respx)."""

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
import respx
import time_machine

from courseops.webhooks.models import WebhookEvent
from tests.webinars.conftest import START
from webinars.models import AttendanceSession, Recording, Registration, Webinar
from webinars.services import registration_create
from webinars.services.zoom import reconcile_webinar, webinars_to_reconcile
from webinars.signals import webinar_attended

pytestmark = pytest.mark.django_db
SECRET = "zoom-secret-token"
ZOOM_API = "https://api.zoom.us/v2"
MEETING_ID = 81234567890


@pytest.fixture
def zoom(settings):
    settings.ZOOM_WEBHOOK_SECRET_TOKEN = SECRET
    settings.ZOOM_ACCOUNT_ID, settings.ZOOM_CLIENT_ID = "acc", "cid"
    settings.ZOOM_CLIENT_SECRET = "csecret"
    with respx.mock(assert_all_called=False) as router:
        router.post("https://zoom.us/oauth/token").respond(
            json={"access_token": "tok", "token_type": "bearer", "expires_in": 3600, "scope": ""}
        )
        yield router


@pytest.fixture
def webinar(make_webinar, db):
    with time_machine.travel(START - timedelta(days=2), tick=False):
        webinar = make_webinar()
        Webinar.objects.filter(pk=webinar.pk).update(
            meeting_provider="zoom", meeting_external_id=str(MEETING_ID)
        )
        registration_create(webinar=webinar, email="ana@example.com", name="Ana", source="page")
        registration_create(webinar=webinar, email="bob@example.com", name="Bob", source="page")
    webinar.refresh_from_db()
    return webinar


def _post(client, body, *, timestamp=None, secret=SECRET):
    raw = json.dumps(body).encode()
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + raw, hashlib.sha256)
    return client.post(
        "/webhooks/zoom/",
        data=raw,
        content_type="application/json",
        headers={
            "x-zm-request-timestamp": str(timestamp),
            "x-zm-signature": f"v0={digest.hexdigest()}",
        },
    )


def _participant(event, *, email, moment, field):
    return {
        "event": event,
        "event_ts": 1765386000000,
        "payload": {
            "account_id": "AAAAAABBBB",
            "object": {
                "id": str(MEETING_ID),
                "uuid": "4444AAAiAAAAAiAiAiiAii==",
                "host_id": "x1yCzABCDEfg23HiJKl4mN",
                "topic": "IA para tu negocio",
                "type": 8,
                "start_time": "2026-12-10T17:00:00Z",
                "timezone": "America/Mexico_City",
                "duration": 60,
                "participant": {
                    "user_id": "16778240",
                    "user_name": "Ana López",
                    "id": "iFxeBPYun6SAiWUzBcEkX",
                    "participant_uuid": "55555AAAiAAAAAiAiAiiAii",
                    field: moment,
                    "email": email,
                    "registrant_id": "abcdefghij0-klmnopq23456",
                },
            },
        },
    }


def test_the_url_validation_challenge_is_answered_at_once(client, zoom):
    body = {
        "payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"},
        "event_ts": 1654503849680,
        "event": "endpoint.url_validation",
    }
    response = _post(client, body)

    assert response.status_code == 200
    expected = hmac.new(SECRET.encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256).hexdigest()
    assert response.json() == {"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": expected}


def test_unsigned_forged_and_replayed_requests_are_refused(client, zoom):
    body = {"event": "meeting.participant_joined", "payload": {"object": {}}}
    assert (
        client.post("/webhooks/zoom/", data=body, content_type="application/json").status_code
        == 401
    )
    assert _post(client, body, secret="wrong").status_code == 401
    assert _post(client, body, timestamp=int(time.time()) - 600).status_code == 401
    assert WebhookEvent.objects.count() == 0


def test_join_and_leave_pairs_give_minutes_and_a_repeated_webhook_changes_nothing(
    client, zoom, webinar, django_capture_on_commit_callbacks
):
    announced = []
    webinar_attended.connect(
        lambda sender, registration, minutes, **kw: announced.append((registration.email, minutes)),
        dispatch_uid="zoom-test",
        weak=False,
    )
    events = [
        ("meeting.participant_joined", "2026-12-10T17:00:00Z", "join_time"),
        ("meeting.participant_left", "2026-12-10T17:20:00Z", "leave_time"),
        ("meeting.participant_joined", "2026-12-10T17:15:00Z", "join_time"),  # second device
        ("meeting.participant_left", "2026-12-10T17:40:00Z", "leave_time"),
    ]
    try:
        with django_capture_on_commit_callbacks(execute=True):
            for name, moment, field in events:
                body = _participant(name, email="Ana@Example.com", moment=moment, field=field)
                assert _post(client, body).json() == {"status": "received"}
            repeated = _post(client, body)  # Zoom retried the last one
    finally:
        webinar_attended.disconnect(dispatch_uid="zoom-test")

    assert repeated.json() == {"status": "duplicate"}
    ana = Registration.objects.get(webinar=webinar, email="ana@example.com")
    assert (ana.attended, ana.minutes_attended, ana.attendance_source) == (True, 40, "zoom")
    assert AttendanceSession.objects.filter(registration=ana).count() == 2
    assert [email for email, _minutes in announced] == ["ana@example.com"]  # once
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}


def test_a_leave_that_arrives_before_its_join_is_retried_not_lost(
    client, zoom, webinar, django_capture_on_commit_callbacks
):
    left = _participant(
        "webinar.participant_left",
        email="bob@example.com",
        moment="2026-12-10T17:30:00Z",
        field="leave_time",
    )
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, left)
    assert WebhookEvent.objects.get().status == "retrying"


def test_recording_completed_downloads_the_transcript_with_the_download_token(
    client, zoom, webinar, django_capture_on_commit_callbacks
):
    vtt = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:05.000\nAna: Hoy vemos agentes de IA.\n"
    download = zoom.get("https://zoom.us/rec/download/transcript-1").respond(
        302, headers={"Location": "https://ssrweb.zoom.us/file/transcript-1.vtt"}
    )
    zoom.get("https://ssrweb.zoom.us/file/transcript-1.vtt").respond(200, text=vtt)
    body = {
        "event": "recording.completed",
        "event_ts": 1765393200000,
        "payload": {
            "account_id": "AAAAAABBBB",
            "object": {
                "uuid": "4444AAAiAAAAAiAiAiiAii==",
                "id": MEETING_ID,
                "host_id": "x1yCzABCDEfg23HiJKl4mN",
                "topic": "IA para tu negocio",
                "type": 2,
                "start_time": "2026-12-10T17:00:00Z",
                "timezone": "America/Mexico_City",
                "duration": 60,
                "total_size": 529758,
                "recording_count": 2,
                "share_url": "https://zoom.us/rec/share/abc",
                "recording_files": [
                    {
                        "id": "mp4-1",
                        "meeting_id": "4444AAAiAAAAAiAiAiiAii==",
                        "recording_start": "2026-12-10T17:00:00Z",
                        "recording_end": "2026-12-10T18:00:00Z",
                        "file_type": "MP4",
                        "file_extension": "MP4",
                        "file_size": 500000,
                        "play_url": "https://zoom.us/rec/play/mp4-1",
                        "download_url": "https://zoom.us/rec/download/mp4-1",
                        "status": "completed",
                        "recording_type": "shared_screen_with_speaker_view",
                    },
                    {
                        "id": "transcript-1",
                        "meeting_id": "4444AAAiAAAAAiAiAiiAii==",
                        "file_type": "TRANSCRIPT",
                        "file_extension": "VTT",
                        "file_size": 1200,
                        "download_url": "https://zoom.us/rec/download/transcript-1",
                        "status": "completed",
                        "recording_type": "audio_transcript",
                    },
                ],
            },
        },
        "download_token": "dl-token-123",
    }
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, body)
        _post(client, body)

    recording = Recording.objects.get(webinar=webinar)
    assert download.calls.last.request.headers["Authorization"] == "Bearer dl-token-123"
    assert download.call_count == 1
    assert recording.watch_url == "https://zoom.us/rec/share/abc"
    assert recording.transcript == "Ana: Hoy vemos agentes de IA."
    assert recording.status == Recording.Status.SUMMARY_PENDING


def test_reconciliation_pulls_participants_and_the_recording(
    zoom, webinar, django_capture_on_commit_callbacks
):
    Webinar.objects.filter(pk=webinar.pk).update(status=Webinar.Status.FINISHED)
    webinar.refresh_from_db()
    report = f"{ZOOM_API}/report/meetings/{MEETING_ID}/participants"
    row = {
        "id": "iFxeBPYun6SAiWUzBcEkX",
        "user_id": "16778240",
        "name": "Bob",
        "user_email": "bob@example.com",
        "join_time": "2026-12-10T17:05:00Z",
        "leave_time": "2026-12-10T17:35:00Z",
        "duration": 1800,
        "status": "in_meeting",
    }
    zoom.get(report, params={"next_page_token": "p2"}).respond(
        json={
            "participants": [
                {**row, "join_time": "2026-12-10T17:40:00Z", "leave_time": "2026-12-10T17:50:00Z"}
            ],
            "next_page_token": "",
        }
    )
    zoom.get(report).respond(json={"participants": [row], "next_page_token": "p2"})
    zoom.get(f"{ZOOM_API}/meetings/{MEETING_ID}/recordings").respond(
        json={
            "id": MEETING_ID,
            "share_url": "https://zoom.us/rec/share/xyz",
            "download_access_token": "dat-1",
            "recording_files": [{"file_type": "MP4", "play_url": "https://zoom.us/rec/play/1"}],
        }
    )

    assert webinars_to_reconcile(now=START + timedelta(days=1)) == [webinar.pk]
    with django_capture_on_commit_callbacks(execute=True):
        reconcile_webinar(webinar=webinar)
        reconcile_webinar(webinar=webinar)  # twice: nothing doubles

    bob = Registration.objects.get(webinar=webinar, email="bob@example.com")
    assert (bob.attended, bob.minutes_attended) == (True, 40)
    assert AttendanceSession.objects.filter(registration=bob).count() == 2
    recording = Recording.objects.get(webinar=webinar)
    assert recording.zoom_download_token == "dat-1"
    assert recording.status == Recording.Status.FAILED  # no transcript or audio to use
    assert "transcribir" in recording.error
