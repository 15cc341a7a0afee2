"""A lesson's video URL is typed by staff: it cannot reach private or local addresses,
literally, through DNS or through a redirect, and says why."""

import socket

import httpx
import pytest
import respx

from content import sources

pytestmark = pytest.mark.django_db


def refused(make_lesson, url):
    lesson = make_lesson(video_url=url)
    with pytest.raises(sources.DownloadError) as caught:
        sources.download_video(lesson=lesson)
    assert caught.value.permanent is True
    assert not lesson.video
    return str(caught.value)


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://127.0.0.1:8000/admin/", "127.0.0.1"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://[::1]/", "::1"),
        ("http://[::ffff:10.0.0.8]/", "10.0.0.8"),
    ],
)
def test_a_lesson_video_url_at_a_local_or_private_address_is_refused_before_any_request(
    make_lesson, url, address
):
    with respx.mock(assert_all_called=False) as router:
        router.route().mock(return_value=httpx.Response(200, content=b"secret"))
        message = refused(make_lesson, url)
        assert not router.calls
    assert address in message
    assert "no es pública" in message


def test_a_hostname_that_resolves_to_a_private_address_is_refused_at_connect_time(
    make_lesson, monkeypatch
):
    real = socket.getaddrinfo

    def fake_dns(host, *args, **kwargs):
        if host == "videos.intranet.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 443))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)

    message = refused(make_lesson, "https://videos.intranet.example/clase.mp4")

    assert "videos.intranet.example apunta a 10.1.2.3" in message


@respx.mock
@pytest.mark.parametrize("target", ["http://127.0.0.1:6379/", "http://localhost/admin/"])
def test_a_redirect_to_a_local_address_is_refused(make_lesson, target):
    respx.get("https://videos.example.com/clase.mp4").mock(
        return_value=httpx.Response(302, headers={"Location": target})
    )
    local = respx.get(target).mock(return_value=httpx.Response(200, content=b"secret"))

    message = refused(make_lesson, "https://videos.example.com/clase.mp4")

    assert not local.called
    assert "no es pública" in message or "esta misma máquina" in message


@respx.mock
def test_a_redirect_to_a_public_address_is_followed(make_lesson):
    respx.get("https://videos.example.com/clase.mp4").mock(
        return_value=httpx.Response(302, headers={"Location": "https://cdn.example.net/c.mp4"})
    )
    respx.get("https://cdn.example.net/c.mp4").mock(
        return_value=httpx.Response(200, content=b"video")
    )
    lesson = make_lesson(video_url="https://videos.example.com/clase.mp4")

    assert sources.download_video(lesson=lesson) == 5


def test_operators_may_allow_a_private_network_for_typed_urls(make_lesson, settings, httpserver):
    httpserver.expect_request("/clase.mp4").respond_with_data(b"video", content_type="video/mp4")
    url = httpserver.url_for("/clase.mp4")
    assert "no es pública" in refused(make_lesson, url)

    settings.HTTP_USER_URL_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    lesson = make_lesson(video_url=url)
    assert sources.download_video(lesson=lesson) == 5
