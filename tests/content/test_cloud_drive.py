"""Google Drive folders as a source of lessons, against a local server speaking Drive v3
(the official client's requests, unchanged, go to it through GOOGLE_API_ENDPOINT).

Response shapes: Drive v3 reference, changes.getStartPageToken / files.list / changes.list
(https://developers.google.com/workspace/drive/api/reference/rest/v3/changes/list and
googleapis/google-api-python-client docs/dyn/drive_v3.changes.html, drive_v3.files.html);
the token answer: https://developers.google.com/identity/protocols/oauth2/web-server#exchange-authorization-code
"""

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from werkzeug import Response

from content.models import JobStep, Lesson, RemoteFile, RemoteFolder
from content.services import cloud_intake
from tests.content.conftest import make_vtt

FOLDER = "1dyUEebJaFnWa3Z4n0BFMVAXQ7mfUH11g"
VTT = make_vtt(cues=4)


def _file(file_id, name, size, parents=(FOLDER,), mime="video/mp4"):
    return {
        "kind": "drive#file",
        "id": file_id,
        "name": name,
        "mimeType": mime,
        "size": str(size),  # Drive sends int64 as a string
        "parents": list(parents),
        "trashed": False,
    }


@pytest.fixture
def drive(make_httpserver, settings):
    server = make_httpserver
    server.clear()
    settings.GOOGLE_CLIENT_ID = "client.apps.googleusercontent.com"
    settings.GOOGLE_CLIENT_SECRET = "secreto"
    settings.GOOGLE_REFRESH_TOKEN = "1//refresh"
    settings.GOOGLE_TOKEN_URI = server.url_for("/token")
    settings.GOOGLE_API_ENDPOINT = server.url_for("/")
    settings.CONTENT_REMOTE_SETTLE_MINUTES = 10
    server.expect_request("/token", method="POST").respond_with_json(
        {
            "access_token": "ya29.a0Af",
            "expires_in": 3599,
            "scope": "https://www.googleapis.com/auth/drive.readonly",
            "token_type": "Bearer",
        }
    )
    return server


@pytest.fixture
def folder(course):
    return RemoteFolder.objects.create(provider="drive", folder=FOLDER, course=course)


def _media(server, file_id, body):
    server.expect_request(
        f"/drive/v3/files/{file_id}", query_string={"alt": "media", "supportsAllDrives": "true"}
    ).respond_with_data(body, content_type="application/octet-stream")


def test_the_first_scan_lists_the_folder_and_keeps_the_start_token(drive, folder):
    drive.expect_request("/drive/v3/changes/startPageToken").respond_with_json(
        {"kind": "drive#startPageToken", "startPageToken": "4021"}
    )
    drive.expect_request("/drive/v3/files").respond_with_json(
        {
            "kind": "drive#fileList",
            "incompleteSearch": False,
            "files": [
                _file("vid1", "01_prompts.mp4", 11),
                _file("sub1", "01_prompts.vtt", len(VTT), mime="text/vtt"),
                _file("doc1", "notas.pdf", 10, mime="application/pdf"),
            ],
        }
    )
    _media(drive, "vid1", b"video-bytes")
    _media(drive, "sub1", VTT.encode())

    created = cloud_intake.scan_folder(folder=folder)

    lesson = Lesson.objects.get()
    assert created == [lesson]
    assert lesson.source_ref == "drive:vid1"
    assert lesson.title == "01 prompts"
    assert lesson.video.read() == b"video-bytes"
    assert lesson.subtitles.read().decode().startswith("WEBVTT")
    assert lesson.job.steps.count() == len(JobStep.ORDER)
    folder.refresh_from_db()
    assert folder.cursor == "4021"
    assert folder.last_error == ""
    listing = next(req for req, _ in drive.log if req.path == "/drive/v3/files")
    assert listing.args["q"] == f"'{FOLDER}' in parents and trashed = false"
    assert listing.headers["Authorization"] == "Bearer ya29.a0Af"
    assert set(RemoteFile.objects.values_list("file_id", "lesson")) == {
        ("vid1", lesson.pk),
        ("sub1", lesson.pk),
    }


def _changes(drive, token, changes, new_token):
    drive.expect_request("/drive/v3/changes", query_string=None).respond_with_handler(
        lambda request: Response(
            json.dumps(
                {
                    "kind": "drive#changeList",
                    "newStartPageToken": new_token,
                    "changes": changes if request.args["pageToken"] == token else [],
                }
            ),
            content_type="application/json",
        )
    )


def _change(item, removed=False):
    return {
        "kind": "drive#change",
        "changeType": "file",
        "removed": removed,
        "fileId": item["id"],
        "time": "2026-12-07T02:00:00.000Z",
        "file": item,
    }


def test_changes_since_the_token_are_seen_once_and_a_video_waits_for_its_subtitles(drive, folder):
    folder.cursor = "4021"
    folder.save()
    video = _file("vid2", "02 embeddings.mp4", 5)
    elsewhere = _file("vid9", "otra carpeta.mp4", 5, parents=("otra",))
    _changes(drive, "4021", [_change(video), _change(elsewhere)], "4030")
    _media(drive, "vid2", b"video")
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        assert cloud_intake.scan_folder(folder=folder) == []  # waiting for subtitles
    folder.refresh_from_db()
    assert folder.cursor == "4030"
    assert list(RemoteFile.objects.values_list("file_id", flat=True)) == ["vid2"]

    # The same change again (the token did not move on Drive's side) is not a new file.
    folder.cursor = "4021"
    with time_machine.travel(start + timedelta(minutes=11), tick=False):
        cloud_intake.scan_folder(folder=folder)
        cloud_intake.scan_folder(folder=folder)
    lesson = Lesson.objects.get()
    assert lesson.source_ref == "drive:vid2"
    assert not lesson.subtitles
    assert RemoteFile.objects.count() == 1
    assert lesson.job.steps.count() == len(JobStep.ORDER)


def test_an_expired_page_token_is_dropped_and_the_folder_listed_again(drive, folder):
    folder.cursor = "old"
    folder.save()
    drive.expect_request("/drive/v3/changes").respond_with_json(
        {
            "error": {
                "code": 404,
                "message": "Page token is not valid.",
                "errors": [
                    {
                        "domain": "global",
                        "reason": "notFound",
                        "message": "Page token is not valid.",
                    }
                ],
            }
        },
        status=404,
    )

    assert cloud_intake.scan_folder(folder=folder) == []

    folder.refresh_from_db()
    assert folder.cursor == ""
    assert "404" in folder.last_error


def test_refused_credentials_are_shown_on_the_folder(drive, folder, settings):
    drive.clear()
    drive.expect_request("/token", method="POST").respond_with_json(
        {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
        status=400,
    )

    assert cloud_intake.scan_folder(folder=folder) == []

    folder.refresh_from_db()
    assert "credenciales" in folder.last_error
    assert "secreto" not in folder.last_error
    assert Lesson.objects.count() == 0
