"""Publishing an approved recording on Vimeo: PyVimeo and its tus client run against a fake
Vimeo on 127.0.0.1 (pytest-httpserver), API and tus upload server both.

Shapes from Vimeo's upload guide, https://developer.vimeo.com/api/upload/videos ("Resumable
approach"): POST /me/videos with {upload: {approach: "tus", size}, name, description,
privacy: {view}} answers 200 with the video (`uri` "/videos/<id>", `link`, `upload`:
{approach, status "in_progress", upload_link, size}); the bytes go with tus 1.0.0 PATCH
requests (`Tus-Resumable`, `Upload-Offset`, `Content-Type: application/offset+octet-stream`)
answered 204 with the new `Upload-Offset`; HEAD on the link gives the offset so far.
"""

import json
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from werkzeug import Response

from courseops.reviews.models import Draft, DraftStatus
from courseops.reviews.registry import ApplyError
from courseops.reviews.services import apply_draft, approve_draft
from tests.webinars.conftest import START
from webinars.models import Recording
from webinars.publishing import vimeo as vimeo_publisher
from webinars.services.recordings import recording_upload

pytestmark = pytest.mark.django_db
VIDEO = b"\x00\x00\x00\x18ftypmp42" + b"0" * 1000
TUS_PATH = "/tus/files/vimeo-prod-src-tus-us/9f2b1c7e"


class FakeVimeo:
    def __init__(self, server):
        self.server = server
        self.created = []
        self.received = b""
        self.deleted = []
        self.fail_patch = False
        server.expect_request("/me/videos", method="POST").respond_with_handler(self._create)
        server.expect_request(TUS_PATH, method="HEAD").respond_with_handler(self._head)
        server.expect_request(TUS_PATH, method="PATCH").respond_with_handler(self._patch)
        server.expect_request("/videos/76979871", method="DELETE").respond_with_handler(
            self._delete
        )

    def _create(self, request):
        self.created.append(
            {
                "body": json.loads(request.get_data()),
                "fields": request.args.get("fields"),
                "authorization": request.headers.get("Authorization"),
                "accept": request.headers.get("Accept"),
            }
        )
        size = self.created[-1]["body"]["upload"]["size"]
        return Response(
            json.dumps(
                {
                    "uri": "/videos/76979871",
                    "link": "https://vimeo.com/76979871/c5d2e8f1a3",
                    "upload": {
                        "status": "in_progress",
                        "upload_link": self.server.url_for(TUS_PATH),
                        "approach": "tus",
                        "size": size,
                        "form": None,
                        "complete_uri": None,
                        "redirect_url": None,
                        "link": None,
                    },
                }
            ),
            status=200,
            content_type="application/vnd.vimeo.video+json",
        )

    def _head(self, request):
        return Response(
            status=200,
            headers={
                "Tus-Resumable": "1.0.0",
                "Upload-Offset": str(len(self.received)),
                "Upload-Length": str(len(VIDEO)),
            },
        )

    def _patch(self, request):
        if self.fail_patch:
            return Response("upstream error", status=500)
        assert request.headers["Tus-Resumable"] == "1.0.0"
        assert int(request.headers["Upload-Offset"]) == len(self.received)
        self.received += request.get_data()
        return Response(
            status=204, headers={"Tus-Resumable": "1.0.0", "Upload-Offset": str(len(self.received))}
        )

    def _delete(self, request):
        self.deleted.append(request.path)
        return Response(status=204)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def fake_vimeo(httpserver, settings, monkeypatch):
    settings.WEBINAR_VIDEO_PUBLISHER = "vimeo"
    settings.VIMEO_ACCESS_TOKEN = "vimeo-token"
    settings.VIMEO_API_URL = httpserver.url_for("").rstrip("/")
    settings.VIMEO_PRIVACY_VIEW = "unlisted"
    monkeypatch.setattr(vimeo_publisher, "TUS_RETRY_DELAY_SECONDS", 0)
    return FakeVimeo(httpserver)


@pytest.fixture
def video_draft(make_webinar, django_capture_on_commit_callbacks):
    with time_machine.travel(START - timedelta(days=1), tick=False):
        webinar = make_webinar(title="Agentes de IA")
    with (
        time_machine.travel(START + timedelta(hours=2), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        recording_upload(webinar=webinar, file=SimpleUploadedFile("sesion.mp4", VIDEO))
    return Draft.objects.get(kind="webinar_video")


def test_the_reviewed_title_and_description_go_to_vimeo_with_its_privacy_and_the_bytes_once(
    video_draft, staff_user, fake_vimeo, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(
            draft=video_draft,
            user=staff_user,
            subject="Agentes de IA en 1 hora",
            body="Todo el webinar, con ejemplos.",
        )
    Draft.objects.filter(pk=video_draft.pk).update(status=DraftStatus.APPROVED)
    apply_draft(draft_id=video_draft.pk)  # the action again: no second upload

    assert len(fake_vimeo.created) == 1
    created = fake_vimeo.created[0]
    assert created["body"] == {
        "upload": {"approach": "tus", "size": len(VIDEO)},
        "name": "Agentes de IA en 1 hora",
        "description": "Todo el webinar, con ejemplos.",
        "privacy": {"view": "unlisted"},
        "locale": "es",
    }
    assert created["fields"] == "uri,link,upload"
    assert created["authorization"] == "Bearer vimeo-token"
    assert created["accept"].startswith("application/vnd.vimeo.*;version=3.4")
    assert fake_vimeo.received == VIDEO
    recording = Recording.objects.get()
    assert recording.video_external_id == "76979871"
    assert recording.video_url == "https://vimeo.com/76979871/c5d2e8f1a3"
    assert recording.watch_url == recording.video_url


def test_a_failed_upload_deletes_the_empty_video_and_leaves_the_draft_to_retry(
    video_draft, staff_user, fake_vimeo
):
    fake_vimeo.fail_patch = True
    approve_draft(draft=video_draft, user=staff_user)  # its apply task not run: done below

    with pytest.raises(ApplyError, match="La subida a Vimeo falló"):
        apply_draft(draft_id=video_draft.pk, final_attempt=False)

    assert fake_vimeo.deleted == ["/videos/76979871"]
    assert Recording.objects.get().video_external_id == ""
    video_draft.refresh_from_db()
    assert video_draft.status == DraftStatus.APPROVED  # the task's retry tries again
    assert "La subida a Vimeo falló" in video_draft.last_error  # staff read Spanish

    fake_vimeo.fail_patch = False
    apply_draft(draft_id=video_draft.pk, final_attempt=False)

    assert len(fake_vimeo.created) == 2  # one video left on the account: the first was deleted
    assert fake_vimeo.received == VIDEO
    assert Recording.objects.get().video_external_id == "76979871"


def test_vimeo_without_a_token_fails_the_draft_visibly_and_sends_nothing(
    video_draft, staff_user, fake_vimeo, settings, django_capture_on_commit_callbacks
):
    settings.VIMEO_ACCESS_TOKEN = ""

    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=video_draft, user=staff_user)

    video_draft.refresh_from_db()
    assert video_draft.status == DraftStatus.FAILED
    assert video_draft.last_error.endswith("Falta el token de acceso de Vimeo.")
    assert fake_vimeo.created == []
