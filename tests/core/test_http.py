"""The one outbound HTTP client: bodies are capped, transient failures are retried a
bounded number of times, vendors' errors say whether retrying helps, and nothing else
calls httpx. (The guard for typed URLs is tested on lesson sources, in tests/content.)"""

import httpx
import pytest
import respx

from courseops.core import http

pytestmark = pytest.mark.django_db


def test_vendor_urls_from_settings_may_be_local(httpserver):
    httpserver.expect_request("/v1/ping").respond_with_json({"ok": True})

    response = http.request("GET", httpserver.url_for("/v1/ping"), timeout=5)

    assert response.json() == {"ok": True}


@respx.mock
def test_a_body_over_the_cap_is_refused(settings):
    settings.HTTP_MAX_RESPONSE_BYTES = 1000
    respx.get("https://api.example.com/big").mock(
        return_value=httpx.Response(200, content=b"x" * 5000)
    )
    with pytest.raises(http.ResponseTooLarge) as caught:
        http.request("GET", "https://api.example.com/big", timeout=5)
    assert caught.value.permanent is True
    assert http.request("GET", "https://api.example.com/big", timeout=5, max_bytes=5000).content


@respx.mock
def test_a_compressed_body_is_capped_on_its_decoded_size(settings):
    import gzip

    settings.HTTP_MAX_RESPONSE_BYTES = 10_000
    respx.get("https://api.example.com/bomb").mock(
        return_value=httpx.Response(
            200, content=gzip.compress(b"0" * 1_000_000), headers={"Content-Encoding": "gzip"}
        )
    )
    with pytest.raises(http.ResponseTooLarge):
        http.request("GET", "https://api.example.com/bomb", timeout=5)


@respx.mock
def test_transient_answers_are_retried_a_bounded_number_of_times_for_safe_methods(settings):
    settings.HTTP_RETRY_BACKOFF_SECONDS = 0
    route = respx.get("https://api.example.com/x").mock(
        side_effect=[httpx.Response(503), httpx.Response(429), httpx.Response(200, json={})]
    )
    assert http.request("GET", "https://api.example.com/x", timeout=5, retries=2).status_code == 200
    assert route.call_count == 3

    post = respx.post("https://api.example.com/y").mock(return_value=httpx.Response(503))
    assert http.request("POST", "https://api.example.com/y", timeout=5, retries=2).status_code == (
        503
    )
    assert post.call_count == 1  # not idempotent: the caller decides


@respx.mock
def test_a_refused_connection_is_transient_and_known_not_to_have_been_sent(settings):
    settings.HTTP_RETRY_BACKOFF_SECONDS = 0
    route = respx.post("https://api.example.com/y").mock(side_effect=httpx.ConnectError("no"))
    with pytest.raises(http.HTTPError) as caught:
        http.request("POST", "https://api.example.com/y", timeout=5, retries=1)
    assert (caught.value.permanent, caught.value.sent) == (False, False)
    assert route.call_count == 2  # never sent, so safe to repeat even for a POST

    respx.post("https://api.example.com/z").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(http.HTTPError) as caught:
        http.request("POST", "https://api.example.com/z", timeout=5, retries=1)
    assert (caught.value.permanent, caught.value.sent) == (False, True)


@pytest.mark.parametrize(
    ("status", "permanent"), [(400, True), (404, True), (429, False), (502, False)]
)
def test_a_vendor_error_says_whether_retrying_can_help(status, permanent):
    response = httpx.Response(status, text="nope", request=httpx.Request("GET", "https://a.b/"))
    with pytest.raises(http.HTTPError) as caught:
        http.raise_for_status(response, "Vendor")
    assert (caught.value.permanent, caught.value.status) == (permanent, status)


def test_only_http_and_https_are_accepted():
    for url in ("file:///etc/passwd", "gopher://example.com/", "ftp://example.com/x"):
        with pytest.raises(http.BlockedURL, match="Solo se admiten"):
            http.request("GET", url, timeout=5, user_url=True)


def test_every_module_reaches_the_network_through_the_one_client():
    """Nothing outside courseops.core.http calls httpx itself (habit 3 of STYLE.md)."""
    from django.conf import settings as django_settings

    offenders = []
    for folder in ("courseops", "students", "webinars", "content", "engagement", "marketing"):
        for path in (django_settings.BASE_DIR / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if path.name != "http.py" and any(
                call in text
                for call in ("httpx.get(", "httpx.post(", "httpx.request(", "httpx.stream(")
                + ("httpx.Client(",)
            ):
                offenders.append(str(path.relative_to(django_settings.BASE_DIR)))
    assert offenders == []
