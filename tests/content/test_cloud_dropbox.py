"""Dropbox folders as a source of lessons: the official SDK runs unchanged, faked at its
HTTP transport (requests, with `responses`), since the SDK only speaks https to fixed hosts.

Response shapes: Dropbox HTTP API documentation, files/list_folder, list_folder/continue
(its `reset` error) and files/download with its Dropbox-API-Result header
(https://www.dropbox.com/developers/documentation/http/documentation#files-list_folder);
the token answer: https://www.dropbox.com/developers/documentation/http/documentation#oauth2-token
"""

import json
from datetime import timedelta

import pytest
import responses
import time_machine
from django.utils import timezone

from content.models import JobStep, Lesson, RemoteFile, RemoteFolder
from content.services import cloud_intake
from tests.content.conftest import make_vtt

API = "https://api.dropboxapi.com/2"
CONTENT = "https://content.dropboxapi.com/2"
VTT = make_vtt(cues=4)


def _entry(file_id, name, size):
    return {
        ".tag": "file",
        "client_modified": "2026-12-06T15:50:38Z",
        "content_hash": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "id": file_id,
        "is_downloadable": True,
        "name": name,
        "path_display": f"/Clases/IA aplicada/{name}",
        "path_lower": f"/clases/ia aplicada/{name.lower()}",
        "rev": "a1c10ce0dd78",
        "server_modified": "2026-12-06T15:50:38Z",
        "size": size,
    }


FOLDER_ENTRY = {
    ".tag": "folder",
    "id": "id:a4ayc_80_OEAAAAAAAAAXz",
    "name": "borradores",
    "path_display": "/Clases/IA aplicada/borradores",
    "path_lower": "/clases/ia aplicada/borradores",
}


@pytest.fixture
def dropbox_api(settings):
    settings.DROPBOX_APP_KEY = "appkey"
    settings.DROPBOX_APP_SECRET = "appsecret"
    settings.DROPBOX_REFRESH_TOKEN = "refresh-token"
    settings.CONTENT_REMOTE_SETTLE_MINUTES = 10
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.post(
            "https://api.dropboxapi.com/oauth2/token",
            json={
                "access_token": "sl.u.AbX9y6Fe3AuH5o66",
                "token_type": "bearer",
                "expires_in": 14400,
            },
        )
        yield rsps


@pytest.fixture
def folder(course):
    return RemoteFolder.objects.create(
        provider="dropbox", folder="/Clases/IA aplicada", course=course
    )


def _download(rsps, entry, body):
    def reply(request):
        assert json.loads(request.headers["Dropbox-API-Arg"]) == {"path": entry["id"]}
        return 200, {"Dropbox-API-Result": json.dumps(entry)}, body

    rsps.add_callback(responses.POST, f"{CONTENT}/files/download", callback=reply)


def test_a_video_and_its_subtitles_make_one_lesson_and_the_cursor_is_kept(dropbox_api, folder):
    video = _entry("id:vid1", "01 Prompts.mp4", 5)
    subs = _entry("id:sub1", "01 Prompts.srt", len(VTT))
    dropbox_api.post(
        f"{API}/files/list_folder",
        json={"entries": [video, FOLDER_ENTRY], "cursor": "AAE-1", "has_more": True},
    )
    dropbox_api.post(
        f"{API}/files/list_folder/continue",
        json={"entries": [subs], "cursor": "AAE-2", "has_more": False},
    )
    bodies = {"id:vid1": b"video", "id:sub1": VTT.encode()}

    def reply(request):
        arg = json.loads(request.headers["Dropbox-API-Arg"])
        entry = video if arg["path"] == "id:vid1" else subs
        return 200, {"Dropbox-API-Result": json.dumps(entry)}, bodies[arg["path"]]

    dropbox_api.add_callback(responses.POST, f"{CONTENT}/files/download", callback=reply)

    created = cloud_intake.scan_folder(folder=folder)

    lesson = Lesson.objects.get()
    assert created == [lesson]
    assert lesson.source_ref == "dropbox:id:vid1"
    assert lesson.video.read() == b"video"
    assert lesson.subtitles.name.endswith(".srt")
    assert lesson.job.steps.count() == len(JobStep.ORDER)
    folder.refresh_from_db()
    assert folder.cursor == "AAE-2"
    listing = json.loads(dropbox_api.calls[1].request.body)
    assert listing["path"] == "/Clases/IA aplicada"
    assert dropbox_api.calls[1].request.headers["Authorization"] == "Bearer sl.u.AbX9y6Fe3AuH5o66"
    continued = json.loads(dropbox_api.calls[2].request.body)
    assert continued == {"cursor": "AAE-1"}


def test_a_repeated_scan_starts_the_pipeline_once(dropbox_api, folder):
    folder.cursor = "AAE-2"
    folder.save()
    video = _entry("id:vid2", "02 RAG.mp4", 5)
    dropbox_api.post(
        f"{API}/files/list_folder/continue",
        json={"entries": [video], "cursor": "AAE-3", "has_more": False},
    )
    _download(dropbox_api, video, b"video")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert cloud_intake.scan_folder(folder=folder) == []  # waits for its subtitles
    with time_machine.travel(start + timedelta(minutes=11), tick=False):
        # The cursor is lost (a restore): the same file is announced again.
        RemoteFolder.objects.filter(pk=folder.pk).update(cursor="AAE-2")
        folder.cursor = "AAE-2"
        first = cloud_intake.scan_folder(folder=folder)
        again = cloud_intake.scan_folder(folder=folder)
    assert len(first) == 1
    assert again == []
    assert Lesson.objects.get().source_ref == "dropbox:id:vid2"
    assert RemoteFile.objects.count() == 1


def test_a_reset_cursor_is_dropped_so_the_next_scan_lists_the_folder(dropbox_api, folder):
    folder.cursor = "stale"
    folder.save()
    dropbox_api.post(
        f"{API}/files/list_folder/continue",
        status=409,
        json={"error_summary": "reset/..", "error": {".tag": "reset"}},
    )

    assert cloud_intake.scan_folder(folder=folder) == []

    folder.refresh_from_db()
    assert folder.cursor == ""
    assert folder.last_error


def test_a_folder_without_credentials_says_which_settings_are_missing(folder, settings):
    settings.DROPBOX_REFRESH_TOKEN = ""
    assert cloud_intake.scan_folder(folder=folder) == []
    folder.refresh_from_db()
    assert "DROPBOX_REFRESH_TOKEN" in folder.last_error


def test_a_lesson_staff_delete_is_not_imported_again(dropbox_api, folder):
    folder.cursor = "AAE-5"
    folder.save()
    lesson = Lesson.objects.create(course=folder.course, title="Borrada", source_ref="dropbox:id:v")
    RemoteFile.objects.create(
        folder=folder,
        file_id="id:v",
        name="Borrada.mp4",
        seen_at=timezone.now() - timedelta(hours=1),
        lesson=lesson,
    )
    lesson.delete()
    dropbox_api.post(
        f"{API}/files/list_folder/continue",
        json={"entries": [], "cursor": "AAE-5", "has_more": False},
    )

    assert cloud_intake.scan_folder(folder=folder) == []

    assert RemoteFile.objects.count() == 0
    assert [call.request.url for call in dropbox_api.calls][
        -1
    ] == f"{API}/files/list_folder/continue"


def test_a_folder_whose_answer_makes_no_sense_is_marked_and_the_others_are_scanned(
    dropbox_api, folder, course
):
    folder.cursor = "AAE-broken"
    folder.save()
    other = RemoteFolder.objects.create(
        provider="dropbox", folder="/Clases/Otra", course=course, cursor="AAE-fine"
    )
    video = _entry("id:vid7", "07 Agentes.mp4", 5)
    subs = _entry("id:sub7", "07 Agentes.vtt", len(VTT))

    def listing(request):
        headers = {"Content-Type": "application/json"}
        if json.loads(request.body)["cursor"] == "AAE-broken":  # not what Dropbox sends
            return 200, headers, json.dumps({"entries": [{".tag": "file", "name": 7}], "cursor": 1})
        return (
            200,
            headers,
            json.dumps({"entries": [video, subs], "cursor": "AAE-6", "has_more": False}),
        )

    dropbox_api.add_callback(responses.POST, f"{API}/files/list_folder/continue", callback=listing)

    def download(request):
        entry = (
            video if json.loads(request.headers["Dropbox-API-Arg"])["path"] == "id:vid7" else subs
        )
        body = b"video" if entry is video else VTT.encode()
        return 200, {"Dropbox-API-Result": json.dumps(entry)}, body

    dropbox_api.add_callback(responses.POST, f"{CONTENT}/files/download", callback=download)

    created = cloud_intake.scan_all()

    assert [lesson.source_ref for lesson in created] == ["dropbox:id:vid7"]
    folder.refresh_from_db()
    other.refresh_from_db()
    assert folder.last_error
    assert folder.cursor == "AAE-broken"
    assert (other.cursor, other.last_error) == ("AAE-6", "")


def test_a_file_that_cannot_be_fetched_waits_and_the_next_one_becomes_a_lesson(dropbox_api, folder):
    folder.cursor = "AAE-7"
    folder.save()
    broken = _entry("id:vid8", "08 Roto.mp4", 5)
    fine = _entry("id:vid9", "09 Bien.mp4", 5)
    dropbox_api.post(
        f"{API}/files/list_folder/continue",
        json={"entries": [broken, fine], "cursor": "AAE-8", "has_more": False},
    )

    def download(request):
        if json.loads(request.headers["Dropbox-API-Arg"])["path"] == "id:vid8":
            return 200, {"Dropbox-API-Result": "{no es json"}, b"video"
        return 200, {"Dropbox-API-Result": json.dumps(fine)}, b"video"

    dropbox_api.add_callback(responses.POST, f"{CONTENT}/files/download", callback=download)

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert cloud_intake.scan_folder(folder=folder) == []  # both wait for subtitles
    with time_machine.travel(start + timedelta(minutes=11), tick=False):
        created = cloud_intake.scan_folder(folder=folder)

    assert [lesson.source_ref for lesson in created] == ["dropbox:id:vid9"]
    folder.refresh_from_db()
    assert "08 Roto.mp4" in folder.last_error
    assert RemoteFile.objects.get(file_id="id:vid8").lesson is None


def test_moving_the_folder_elsewhere_drops_the_old_folders_cursor(folder):
    RemoteFolder.objects.filter(pk=folder.pk).update(cursor="AAE-9")
    folder = RemoteFolder.objects.get(pk=folder.pk)
    folder.course_id = folder.course_id  # an edit of something else keeps it
    folder.save()
    assert RemoteFolder.objects.get(pk=folder.pk).cursor == "AAE-9"

    folder.folder = "/Clases/Otra carpeta"
    folder.save()

    assert RemoteFolder.objects.get(pk=folder.pk).cursor == ""

    RemoteFolder.objects.filter(pk=folder.pk).update(cursor="AAE-10")
    folder = RemoteFolder.objects.get(pk=folder.pk)
    folder.provider = "drive"
    folder.save(update_fields=["provider"])
    assert RemoteFolder.objects.get(pk=folder.pk).cursor == ""
