"""Lessons without staff: a watched folder and the generic "new file" webhook."""

import os
import time

import httpx
import pytest
import respx
from django.core.management import CommandError, call_command

from content.intake import scan_folder
from content.models import JobStep, Lesson
from courseops.webhooks.models import WebhookEvent
from tests.content.conftest import make_vtt
from tests.webhooks.conftest import GENERIC_SECRET, generic_post


def _settled(path, age=120):
    path.touch()
    past = time.time() - age
    os.utime(path, (past, past))
    return path


def test_a_watched_folder_makes_one_lesson_per_settled_file(tmp_path, course, settings, capsys):
    folder = tmp_path / "entrada" / course.slug
    folder.mkdir(parents=True)
    (folder / "03_embeddings-y-rag.vtt").write_text(make_vtt())
    _settled(folder / "03_embeddings-y-rag.vtt")
    (folder / "04_copiando.mp4").write_bytes(b"still being copied")  # too recent
    (folder / "notas.txt").write_text("no es una clase")
    (tmp_path / "entrada" / "curso-que-no-existe").mkdir()

    call_command("scan_content_folder", dir=str(tmp_path / "entrada"))
    assert "1 lección nueva." in capsys.readouterr().out
    lesson = Lesson.objects.get()
    assert lesson.title == "03 embeddings y rag"
    assert lesson.subtitles.read().decode().startswith("WEBVTT")
    assert lesson.job.steps.count() == len(JobStep.ORDER)

    _settled(folder / "04_copiando.mp4")
    assert [lesson.title for lesson in scan_folder(tmp_path / "entrada")] == ["04 copiando"]
    assert scan_folder(tmp_path / "entrada") == []
    assert Lesson.objects.count() == 2


def test_the_scan_command_needs_a_folder(settings):
    settings.CONTENT_WATCH_DIR = ""
    with pytest.raises(CommandError, match="CONTENT_WATCH_DIR"):
        call_command("scan_content_folder")
    with pytest.raises(CommandError, match="no existe"):
        call_command("scan_content_folder", dir="/nonexistent/folder")


@pytest.fixture
def generic(settings):
    settings.GENERIC_WEBHOOK_SECRET = GENERIC_SECRET


@respx.mock
def test_a_new_file_notification_creates_the_lesson_and_downloads_its_video(
    client, course, generic, django_capture_on_commit_callbacks
):
    respx.get("https://files.example.com/clase-9.mp4").mock(
        return_value=httpx.Response(200, content=b"not really a video")
    )
    payload = {
        "type": "content.file_created",
        "data": {"course": course.slug, "url": "https://files.example.com/clase-9.mp4"},
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert generic_post(client, payload, event_id="file-9").status_code == 200
        assert generic_post(client, payload, event_id="file-9-again").status_code == 200

    lesson = Lesson.objects.get()
    assert lesson.title == "Clase 9"
    assert lesson.video.read() == b"not really a video"
    steps = dict(lesson.job.steps.values_list("name", "status"))
    assert steps["source"] == "done"
    assert steps["audio"] == "failed"  # not a real video: ffmpeg says so, staff see it


def test_a_notification_for_an_unknown_course_fails_for_good(
    client, generic, db, django_capture_on_commit_callbacks
):
    payload = {
        "type": "content.file_created",
        "data": {"course": "nope", "url": "https://x.example/a.mp4"},
    }
    with django_capture_on_commit_callbacks(execute=True):
        generic_post(client, payload, event_id="file-x")
    event = WebhookEvent.objects.get()
    assert event.status == "failed"
    assert "Curso desconocido" in event.last_error
    assert not Lesson.objects.exists()


def test_a_video_and_its_subtitles_of_the_same_name_make_one_lesson(
    tmp_path, course, django_capture_on_commit_callbacks
):
    folder = tmp_path / "entrada" / course.slug
    folder.mkdir(parents=True)
    (folder / "05_agentes.mp4").write_bytes(b"\x00\x00\x00 ftypmp42 video")
    (folder / "05_agentes.vtt").write_text(make_vtt())
    _settled(folder / "05_agentes.mp4")
    _settled(folder / "05_agentes.vtt")

    with django_capture_on_commit_callbacks(execute=True):
        [lesson] = scan_folder(tmp_path / "entrada")

    assert scan_folder(tmp_path / "entrada") == []
    assert Lesson.objects.count() == 1
    assert lesson.title == "05 agentes"
    assert lesson.video.name.endswith(".mp4")
    assert lesson.subtitles.read().decode().startswith("WEBVTT")
    steps = dict(lesson.job.steps.values_list("name", "status"))
    assert steps["audio"] == "skipped"  # transcribed from the subtitles beside the video
    assert steps["transcribe"] == "done"


def test_a_pair_waits_until_both_files_have_settled(tmp_path, course):
    folder = tmp_path / "entrada" / course.slug
    folder.mkdir(parents=True)
    (folder / "06_costes.mp4").write_bytes(b"\x00\x00\x00 ftypmp42 video")
    _settled(folder / "06_costes.mp4")
    (folder / "06_costes.vtt").write_text(make_vtt())  # still being copied

    assert scan_folder(tmp_path / "entrada") == []
    _settled(folder / "06_costes.vtt")
    [lesson] = scan_folder(tmp_path / "entrada")
    assert lesson.subtitles


def test_a_video_the_offline_ai_cannot_hear_says_what_to_do_in_staff_words(
    tmp_path, course, django_capture_on_commit_callbacks
):
    folder = tmp_path / "entrada" / course.slug
    folder.mkdir(parents=True)
    (folder / "07_sin_subtitulos.mp4").write_bytes(b"\x00\x00\x00 ftypmp42 video")
    _settled(folder / "07_sin_subtitulos.mp4")

    with django_capture_on_commit_callbacks(execute=True):
        [lesson] = scan_folder(tmp_path / "entrada")

    error = " ".join(lesson.job.steps.exclude(error="").values_list("error", flat=True))
    assert "sube los subtítulos" in error.lower()
    assert "clase.mp4 y clase.vtt" in error
    assert "part-" not in error
    assert ".mp3" not in error
