"""Publishing the recording: title/description reviewed first, then one upload."""

import json
from datetime import timedelta

import pytest
import respx
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from courseops.reviews.models import Draft, DraftStatus
from courseops.reviews.services import apply_draft, approve_draft
from tests.webinars.conftest import START
from webinars.models import Recording
from webinars.services.recordings import recording_upload

pytestmark = pytest.mark.django_db
UPLOAD = "https://www.googleapis.com/upload/youtube/v3/videos"
SESSION = f"{UPLOAD}?uploadType=resumable&upload_id=xa298sd_f"
VIDEO = b"\x00\x00\x00\x18ftypmp42" + b"0" * 1000


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def video_draft(make_webinar, django_capture_on_commit_callbacks):
    with time_machine.travel(START - timedelta(days=1), tick=False):
        webinar = make_webinar(title="Agentes de IA")
    # A recording is uploaded once the webinar took place.
    with (
        time_machine.travel(START + timedelta(hours=2), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        recording_upload(webinar=webinar, file=SimpleUploadedFile("sesion.mp4", VIDEO))
    return Draft.objects.get(kind="webinar_video")


def test_a_video_upload_drafts_its_title_and_description_for_review(video_draft):
    assert video_draft.subject == "Agentes de IA (webinar completo)"
    assert "Grabación completa del webinar «Agentes de IA»" in video_draft.body
    assert Recording.objects.get().video_url == ""  # nothing published before approval


def test_the_console_publisher_is_the_default_and_uploads_nothing(
    video_draft, staff_user, django_capture_on_commit_callbacks
):
    with (
        respx.mock(assert_all_mocked=True),  # any real HTTP call would fail the test
        django_capture_on_commit_callbacks(execute=True),
    ):
        approve_draft(draft=video_draft, user=staff_user)
    recording = Recording.objects.get()
    assert recording.video_external_id == f"console-{recording.pk}"


def test_youtube_resumable_upload_with_a_refreshed_token_happens_once(
    video_draft, staff_user, settings, django_capture_on_commit_callbacks
):
    settings.WEBINAR_VIDEO_PUBLISHER = "youtube"
    settings.YOUTUBE_CLIENT_ID, settings.YOUTUBE_CLIENT_SECRET = "cid", "csecret"
    settings.YOUTUBE_REFRESH_TOKEN = "1//refresh"
    with respx.mock(assert_all_called=True) as router:
        token = router.post("https://oauth2.googleapis.com/token").respond(
            json={"access_token": "ya29.tok", "expires_in": 3599, "token_type": "Bearer"}
        )
        start = router.post(url__startswith=UPLOAD).respond(200, headers={"Location": SESSION})
        upload = router.put(SESSION).respond(
            200, json={"kind": "youtube#video", "id": "dQw4w9WgXcQ", "status": {}}
        )
        with django_capture_on_commit_callbacks(execute=True):
            approve_draft(draft=video_draft, user=staff_user, subject="Agentes de IA en 1 hora")
        Draft.objects.filter(pk=video_draft.pk).update(status=DraftStatus.APPROVED)
        apply_draft(draft_id=video_draft.pk)  # the action again: no second upload

    assert b"grant_type=refresh_token" in token.calls.last.request.content
    assert b"refresh_token=1%2F%2Frefresh" in token.calls.last.request.content
    request = start.calls.last.request
    assert request.url.params["uploadType"] == "resumable"
    assert request.url.params["part"] == "snippet,status"
    assert request.headers["Authorization"] == "Bearer ya29.tok"
    assert request.headers["X-Upload-Content-Length"] == str(len(VIDEO))
    assert request.headers["X-Upload-Content-Type"] == "video/mp4"
    body = json.loads(request.content)
    assert body["snippet"]["title"] == "Agentes de IA en 1 hora"  # the reviewed title
    assert body["status"]["privacyStatus"] == "unlisted"
    assert upload.call_count == 1
    assert upload.calls.last.request.content == VIDEO
    recording = Recording.objects.get()
    assert recording.video_url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert recording.watch_url == recording.video_url  # follow-ups link to it


def test_youtube_without_credentials_fails_the_draft_visibly(
    video_draft, staff_user, settings, django_capture_on_commit_callbacks
):
    settings.WEBINAR_VIDEO_PUBLISHER = "youtube"
    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=video_draft, user=staff_user)
    video_draft.refresh_from_db()
    assert video_draft.status == DraftStatus.FAILED
    assert "Faltan las credenciales de YouTube" in video_draft.last_error


def test_a_recording_deleted_before_its_video_is_approved_says_so_in_the_staff_language():
    from django.utils import translation

    from courseops.reviews.registry import ApplyError
    from webinars.services.video import video_apply

    with translation.override("en"), pytest.raises(ApplyError) as raised:
        video_apply(Draft(kind="webinar_video", object_id="999999"), None)

    assert str(raised.value) == "The recording no longer exists."
    assert raised.value.permanent
