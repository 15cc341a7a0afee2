"""Lesson media in S3-compatible storage (CONTENT_S3_BUCKET), against moto's S3 server on
127.0.0.1: boto3 and django-storages run for real, over HTTP."""

from io import BytesIO
from pathlib import Path

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from moto.server import ThreadedMotoServer
from pypdf import PdfReader

from content.models import Lesson
from content.reviews import lesson_drafts
from courseops.ai import media
from courseops.reviews.services import approve_draft
from students.portal.services import SESSION_EMAIL_KEY, SESSION_KEY
from tests.content.conftest import make_vtt

BUCKET = "courseops-media-test"


@pytest.fixture
def bucket(settings):
    """A moto S3 server with an empty bucket, set as the `content` storage."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "content": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "access_key": "test",
                "secret_key": "test",
                "location": "media",
                "file_overwrite": False,
                "default_acl": None,
            },
        },
    }
    yield client
    server.stop()


def _keys(client):
    return {o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_a_vtt_lesson_runs_end_to_end_with_its_media_in_the_bucket(
    bucket, client, staff_user, course, students, django_capture_on_commit_callbacks, settings
):
    client.force_login(staff_user)
    upload = SimpleUploadedFile("clase.vtt", make_vtt().encode(), "text/vtt")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/content/lesson/add/",
            {
                "course": course.pk,
                "order": 1,
                "title": "Clase S3",
                "language": "es",
                "subtitles": upload,
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    lesson = Lesson.objects.get(title="Clase S3")
    assert f"media/{lesson.subtitles.name}" in _keys(bucket)
    assert len(lesson.transcript) == 24  # read back from the bucket

    with django_capture_on_commit_callbacks(execute=True):
        for draft in lesson_drafts(lesson).filter(status="pending"):
            approve_draft(draft=draft, user=staff_user)
    lesson.refresh_from_db()
    assert lesson.published_at is not None
    assert f"media/{lesson.pdf.name}" in _keys(bucket)
    assert not (Path(settings.MEDIA_ROOT) / lesson.pdf.name).exists()

    client.logout()
    session = client.session
    session[SESSION_KEY], session[SESSION_EMAIL_KEY] = students[0].pk, students[0].email
    session.save()
    response = client.get(f"/portal/lecciones/{lesson.pk}/pdf/")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(body)).pages)
    assert "Clase S3" in text
    assert "[00:25]" in text


def test_a_video_in_the_bucket_is_copied_to_a_local_file_for_ffmpeg(bucket, make_lesson):
    video = bytes(range(256)) * 9000  # over one 1 MiB chunk
    lesson = make_lesson(video=SimpleUploadedFile("clase.mp4", video, "video/mp4"))
    assert f"media/{lesson.video.name}" in _keys(bucket)

    with media.local_copy(lesson.video) as path:
        assert Path(path).read_bytes() == video
    assert not Path(path).exists()
