"""The lesson player: its source (stored video served with ranges, a signed S3 URL, or the
YouTube/Vimeo embed), captions and chapters, and the playback reports that keep the resume
position and the watched share, announced to engagement once per milestone."""

import pytest
import requests
from django.core.files.base import ContentFile

from content.models import LessonProgress
from content.signals import lesson_completed, lesson_watched
from courseops.core.player import embed_for
from engagement.models import ActivityEvent, ActivityKind
from tests.content import test_media_s3, test_portal

# Shared with the portal's and the S3 tests (a fixture is found by its name here).
bucket = test_media_s3.bucket
published = test_portal.published
signed_in = test_portal.signed_in

VIDEO = bytes(range(256)) * 40  # 10,240 bytes, every offset recognisable


@pytest.fixture
def with_video(published):
    published.video.save("clase.webm", ContentFile(VIDEO))
    return published


@pytest.fixture
def watched():
    received = []

    def receiver(sender, **kwargs):
        received.append((kwargs["student"].pk, kwargs["lesson"].pk, kwargs["percent"]))

    lesson_watched.connect(receiver)
    yield received
    lesson_watched.disconnect(receiver)


@pytest.mark.parametrize(
    ("url", "embed"),
    [
        (
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=5",
            "www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        ),
        ("https://youtu.be/dQw4w9WgXcQ", "www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://www.youtube.com/embed/dQw4w9WgXcQ", "www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://vimeo.com/76979871", "player.vimeo.com/video/76979871"),
        ("https://player.vimeo.com/video/76979871/", "player.vimeo.com/video/76979871"),
    ],
)
def test_youtube_and_vimeo_watch_addresses_become_their_embeds(url, embed):
    assert embed_for(url)[1] == f"https://{embed}"


@pytest.mark.parametrize(
    "url",
    [
        "http://www.youtube.com/watch?v=dQw4w9WgXcQ",  # not https
        "https://www.youtube.com/watch?v=../../evil",
        "https://evil.example/watch?v=dQw4w9WgXcQ",
        "https://vimeo.com/channels/staffpicks",
        "",
    ],
)
def test_other_addresses_get_no_embed(url):
    assert embed_for(url) is None


def test_the_lesson_page_plays_the_stored_video_with_captions_and_chapters(
    client, signed_in, with_video
):
    page = client.get(f"/portal/lecciones/{with_video.pk}/")
    html = page.content.decode()
    assert f'src="/portal/lecciones/{with_video.pk}/video/"' in html
    assert (
        f'<track kind="captions" src="/portal/lecciones/{with_video.pk}/transcripcion.vtt"' in html
    )
    assert 'data-seek="65"' in html  # the key point's chapter and its stamp
    assert "courseops/player.js" in html
    assert "frame-src" not in page["Content-Security-Policy"]


def test_the_video_is_served_whole_or_by_the_range_asked(client, signed_in, with_video):
    url = f"/portal/lecciones/{with_video.pk}/video/"

    whole = client.get(url)
    assert whole.status_code == 200
    assert b"".join(whole.streaming_content) == VIDEO
    assert whole["Accept-Ranges"] == "bytes"
    assert whole["Content-Type"] == "video/webm"

    part = client.get(url, HTTP_RANGE="bytes=1000-1099")
    assert part.status_code == 206
    assert part["Content-Range"] == "bytes 1000-1099/10240"
    assert part["Content-Length"] == "100"
    assert b"".join(part.streaming_content) == VIDEO[1000:1100]

    tail = client.get(url, HTTP_RANGE="bytes=-16")
    assert tail["Content-Range"] == "bytes 10224-10239/10240"
    assert b"".join(tail.streaming_content) == VIDEO[-16:]

    open_ended = client.get(url, HTTP_RANGE="bytes=10000-")
    assert b"".join(open_ended.streaming_content) == VIDEO[10000:]

    outside = client.get(url, HTTP_RANGE="bytes=20000-")
    assert outside.status_code == 416
    assert outside["Content-Range"] == "bytes */10240"


def test_the_video_is_only_for_students_of_the_course(client, with_video, students):
    url = f"/portal/lecciones/{with_video.pk}/video/"
    assert client.get(url).url == "/portal/entrar/"
    from students.portal.services import SESSION_EMAIL_KEY, SESSION_KEY

    outsider = students[0].__class__.objects.get(email="otro@example.com")
    session = client.session
    session[SESSION_KEY] = outsider.pk
    session[SESSION_EMAIL_KEY] = outsider.email
    session.save()
    assert client.get(url).status_code == 404


def test_on_s3_the_player_gets_a_signed_url_allowed_by_the_page_policy(
    client,
    signed_in,
    published,
    bucket,
):
    published.video.save("clase.webm", ContentFile(VIDEO))

    page = client.get(f"/portal/lecciones/{published.pk}/")
    src = page.context["player"].src
    assert "Signature=" in src
    assert "Expires=" in src
    origin = src.split("/media/")[0].rsplit("/", 1)[0]
    assert f"media-src 'self' {origin}" in page["Content-Security-Policy"]
    # The browser's range request goes to the bucket with the signature, and works.
    fetched = requests.get(src, headers={"Range": "bytes=10-19"}, timeout=10)
    assert fetched.status_code == 206
    assert fetched.content == VIDEO[10:20]
    # Our own address for it hands out a fresh signed URL.
    redirect = client.get(f"/portal/lecciones/{published.pk}/video/")
    assert redirect.status_code == 302
    assert "Signature=" in redirect.url


def test_a_lesson_published_on_youtube_embeds_it_and_lets_only_that_frame_in(
    client, signed_in, published
):
    published.watch_url = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    published.save()

    page = client.get(f"/portal/lecciones/{published.pk}/")
    html = page.content.decode()
    assert 'src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"' in html
    assert "<video" not in html
    assert "frame-src https://www.youtube-nocookie.com" in page["Content-Security-Policy"]


def test_playback_reports_keep_the_position_and_the_highest_share_watched(
    client, signed_in, with_video, watched, django_capture_on_commit_callbacks
):
    url = f"/portal/lecciones/{with_video.pk}/reproduccion/"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"position": "30", "watched": "20"}).status_code == 204
        client.post(url, {"position": "95.6", "watched": "55"})
        client.post(url, {"position": "95", "watched": "55"})  # the same report again
        client.post(url, {"position": "12", "watched": "40"})  # a late beacon, or a replay

    progress = LessonProgress.objects.get(lesson=with_video, student=signed_in)
    assert progress.position_seconds == 12
    assert progress.watched_percent == 55
    assert progress.played_at is not None
    # Each milestone once, in order, whatever the number of reports.
    assert watched == [(signed_in.pk, with_video.pk, 25), (signed_in.pk, with_video.pk, 50)]

    page = client.get(f"/portal/lecciones/{with_video.pk}/").content.decode()
    assert 'data-resume="12"' in page
    assert "Has visto el 55 % del vídeo." in page


@pytest.mark.django_db(transaction=True)
def test_watched_milestones_become_activity_once_each(client, signed_in, with_video):
    url = f"/portal/lecciones/{with_video.pk}/reproduccion/"
    for watched in (10, 30, 30, 80, 80):
        client.post(url, {"position": "1", "watched": str(watched)})

    events = ActivityEvent.objects.filter(student=signed_in, kind=ActivityKind.LESSON_WATCHED)
    assert sorted(e.metadata["percent"] for e in events) == [25, 50, 75]


def test_watching_most_of_a_lesson_without_quiz_completes_it_once(
    client, signed_in, with_video, django_capture_on_commit_callbacks
):
    with_video.quiz = {}
    with_video.save()
    completed = []
    lesson_completed.connect(receiver := lambda sender, **kw: completed.append(kw["lesson"].pk))
    try:
        url = f"/portal/lecciones/{with_video.pk}/reproduccion/"
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url, {"position": "100", "watched": "89"})
            assert not LessonProgress.objects.get(student=signed_in).completed_at
            client.post(url, {"position": "110", "watched": "91"})
            client.post(url, {"position": "120", "watched": "100"})
    finally:
        lesson_completed.disconnect(receiver)
    assert LessonProgress.objects.get(student=signed_in).completed_at
    assert completed == [with_video.pk]


def test_a_lesson_with_a_quiz_is_not_completed_by_watching(client, signed_in, with_video):
    client.post(f"/portal/lecciones/{with_video.pk}/reproduccion/", {"position": 1, "watched": 100})
    assert LessonProgress.objects.get(student=signed_in).completed_at is None


@pytest.mark.parametrize(
    "data", [{}, {"position": "x", "watched": "5"}, {"position": "5", "watched": "101"}]
)
def test_a_malformed_report_is_a_400_and_changes_nothing(client, signed_in, with_video, data):
    response = client.post(f"/portal/lecciones/{with_video.pk}/reproduccion/", data)
    assert response.status_code == 400
    assert not LessonProgress.objects.filter(watched_percent__gt=0).exists()


def test_a_signed_out_report_is_refused(client, with_video):
    response = client.post(
        f"/portal/lecciones/{with_video.pk}/reproduccion/", {"position": 1, "watched": 5}
    )
    assert response.status_code == 403


def test_the_admin_accepts_only_youtube_or_vimeo_as_watch_address(course):
    from content.admin import LessonForm

    data = {"course": course.pk, "order": 1, "title": "T", "language": "es"}
    assert not LessonForm({**data, "watch_url": "https://evil.example/v.mp4"}).is_valid()
    assert LessonForm({**data, "watch_url": "https://vimeo.com/76979871"}).is_valid()
