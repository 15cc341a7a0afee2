"""The one outbound HTTP client (over httpx) for vendors without an official SDK and for
URLs that people type.

- Every call has a timeout (there is no default: the caller's setting says how long).
- Transport failures and vendor answers become `HTTPError(permanent=...)`: retrying helps
  with a refused connection, a timeout, 408/425/429 and 5xx; not with the rest. `sent`
  says whether the request may have reached the vendor (a timeout after sending), which
  callers that must not do something twice (publishing a post) need to know.
- `retries=N` retries the transient failures N more times with backoff (honouring a
  short `Retry-After`), only where repeating is safe: idempotent methods, or any method
  when the connection never opened.
- Response bodies read into memory are capped (`HTTP_MAX_RESPONSE_BYTES`); streams are
  read through `iter_capped`.
- `user_url=True` is for addresses staff or users give (a lesson's video URL, a
  webhook channel): http(s) only, and no private, loopback, link-local, multicast or
  reserved address, checked on the literal URL and again on every address the name
  resolves to at connect time (so DNS tricks cannot slip past), with redirects followed
  here one by one and each hop checked the same way. Vendor base URLs from settings are
  operators' choices and may be local (a fake in tests, a proxy).

Tests fake vendors at httpx's transport (respx) or with a local server.
"""

import ipaddress
import socket
import time
from contextlib import contextmanager

import httpcore
import httpx
from django.conf import settings
from django.utils.translation import gettext as _

TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
MAX_REDIRECTS = 5
MAX_RETRY_AFTER_SECONDS = 30.0


class HTTPError(Exception):
    """An outbound call that failed. `permanent`: retrying cannot help. `sent`: the request
    may have reached the other side. `status`: the HTTP status, when there was an answer."""

    def __init__(self, message, *, permanent, sent=False, status=None):
        super().__init__(message)
        self.permanent = permanent
        self.sent = sent
        self.status = status


class BlockedURL(HTTPError):
    """A URL the guard refuses (scheme or address); nothing was sent."""

    def __init__(self, message):
        super().__init__(message, permanent=True)


class ResponseTooLarge(HTTPError):
    def __init__(self, limit):
        message = _("La respuesta supera %(limit)s bytes.") % {"limit": limit}
        super().__init__(message, permanent=True, sent=True)
        self.limit = limit


# --- The guard for URLs people give ------------------------------------------------------


def _allowed_networks():
    return [ipaddress.ip_network(net) for net in settings.HTTP_USER_URL_ALLOWED_NETWORKS]


def address_refusal(address):
    """Why this IP address may not be reached from a URL someone typed, or None."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if any(ip in net for net in _allowed_networks()):
        return None
    kinds = ("loopback", "link_local", "private", "multicast", "reserved", "unspecified")
    kind = next((kind for kind in kinds if getattr(ip, f"is_{kind}")), None)
    if kind is None and ip.is_global:
        return None
    return _(
        "La dirección %(address)s no es pública (%(kind)s): no se admite en una URL "
        "introducida a mano."
    ) % {"address": ip, "kind": (kind or "not global").replace("_", "-")}


def check_url(url):
    """Refuse (BlockedURL) a URL someone typed that is not http(s) or names a non-public
    IP address literally. Names are checked where they are resolved, at connect time."""
    url = httpx.URL(url)
    if url.scheme not in ("http", "https"):
        raise BlockedURL(
            _("Solo se admiten URL http:// o https://, no «%(scheme)s:».") % {"scheme": url.scheme}
        )
    if not url.host:
        raise BlockedURL(_("La URL no tiene servidor."))
    try:
        reason = address_refusal(url.host)
    except ValueError:  # a name, not an address
        if url.host.lower().rstrip(".") == "localhost" or url.host.endswith(".localhost"):
            reason = _("«%(host)s» es esta misma máquina: no se admite.") % {"host": url.host}
        else:
            reason = None
    if reason:
        raise BlockedURL(reason)
    return url


class _GuardedBackend(httpcore.SyncBackend):
    """Resolves the name itself, refuses if any address is not public, and connects to the
    address it checked (TLS still verifies the name)."""

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise httpcore.ConnectError(f"{host}: {exc}") from exc
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
        for address in addresses:
            reason = address_refusal(address)
            if reason:
                raise BlockedURL(
                    _("%(host)s apunta a %(address)s. %(reason)s")
                    % {"host": host, "address": address, "reason": reason}
                )
        return super().connect_tcp(addresses[0], port, timeout, local_address, socket_options)


def _guarded_transport():
    # No proxies from the environment: the guard must see the real destination.
    transport = httpx.HTTPTransport(trust_env=False)
    # httpx 0.28 builds its httpcore pool without a way to pass a network backend.
    transport._pool._network_backend = _GuardedBackend()
    return transport


# --- Calls -------------------------------------------------------------------------------


def make_client(*, timeout, user_url=False, transport=None, **kwargs):
    """An httpx.Client with the project's rules, for callers that keep one (a base URL,
    headers). Use it with `request(..., client=...)`; it never follows redirects itself."""
    if user_url and transport is None:
        transport = _guarded_transport()
    return httpx.Client(
        timeout=timeout,
        transport=transport,
        follow_redirects=False,
        trust_env=not user_url,
        **kwargs,
    )


def _transport_error(exc, what):
    sent = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
    return HTTPError(f"{what}: {type(exc).__name__}: {exc}", permanent=False, sent=sent)


def _retry_delay(attempt, response=None):
    delay = settings.HTTP_RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1)
    retry_after = response is not None and response.headers.get("retry-after", "")
    if retry_after and retry_after.isdigit():
        delay = max(delay, float(retry_after))
    return min(delay, MAX_RETRY_AFTER_SECONDS)


def _read_capped(response, max_bytes):
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            response.close()
            raise ResponseTooLarge(max_bytes)
        chunks.append(chunk)
    response.close()
    # The body is decoded already (the cap counts decoded bytes: no zip bombs), so the
    # headers describing the encoding on the wire no longer apply.
    headers = [
        (key, value)
        for key, value in response.headers.multi_items()
        if key.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=b"".join(chunks),
        request=response.request,
        extensions=response.extensions,
    )


def request(
    method,
    url,
    *,
    timeout=None,
    user_url=False,
    retries=0,
    follow_redirects=False,
    max_bytes=None,
    client=None,
    **kwargs,
):
    """Send one request and return the whole `httpx.Response` (any status: see
    `raise_for_status`). Raises HTTPError for transport failures (after `retries`),
    BlockedURL and ResponseTooLarge. With `client`, its base URL, headers and timeout
    apply; without, `timeout` is required."""
    method = method.upper()
    if user_url:
        check_url(url)
    max_bytes = max_bytes or settings.HTTP_MAX_RESPONSE_BYTES
    owned = client is None
    if owned:
        if timeout is None:
            raise TypeError("An outbound call needs a timeout.")
        client = make_client(timeout=timeout, user_url=user_url)
    elif timeout is not None:
        kwargs["timeout"] = timeout
    try:
        for attempt in range(1, retries + 2):
            last = attempt == retries + 1
            try:
                built = client.build_request(method, url, **kwargs)
                response = client.send(built, stream=True)
                if follow_redirects and response.is_redirect:
                    response.close()
                    response = _follow(client, response, user_url=user_url)
                response = _read_capped(response, max_bytes)
            except httpx.TransportError as exc:
                error = _transport_error(exc, f"{method} {httpx.URL(url).host or url}")
                if last or (error.sent and method not in IDEMPOTENT_METHODS):
                    raise error from exc
                time.sleep(_retry_delay(attempt))
                continue
            retry = response.status_code in TRANSIENT_STATUSES and method in IDEMPOTENT_METHODS
            if retry and not last:
                time.sleep(_retry_delay(attempt, response))
                continue
            return response
    finally:
        if owned:
            client.close()


def _follow(http, response, *, user_url):
    for _hop in range(MAX_REDIRECTS):
        next_request = response.next_request
        if user_url:
            check_url(next_request.url)
        response = http.send(next_request, stream=True)
        if not response.is_redirect:
            return response
        response.close()
    raise HTTPError(
        _("Más de %(count)s redirecciones.") % {"count": MAX_REDIRECTS}, permanent=True, sent=True
    )


@contextmanager
def stream(method, url, *, timeout, user_url=False, follow_redirects=False, **kwargs):
    """A streamed response (read it with `iter_capped`), redirects followed and checked
    like `request`. Raises HTTPError for transport failures; no retries (a caller that
    streams to a file retries the whole download)."""
    if user_url:
        check_url(url)
    with make_client(timeout=timeout, user_url=user_url) as http:
        try:
            response = http.send(http.build_request(method, url, **kwargs), stream=True)
            if follow_redirects and response.is_redirect:
                response.close()
                response = _follow(http, response, user_url=user_url)
        except httpx.TransportError as exc:
            raise _transport_error(exc, f"{method} {httpx.URL(url).host}") from exc
        try:
            yield response
        except httpx.TransportError as exc:
            raise _transport_error(exc, f"{method} {httpx.URL(url).host}") from exc
        finally:
            response.close()


def iter_capped(response, max_bytes, chunk_size=1024 * 1024):
    """The body in chunks; ResponseTooLarge as soon as it passes `max_bytes` (also when the
    announced Content-Length already does)."""
    announced = int(response.headers.get("content-length") or 0)
    if announced > max_bytes:
        raise ResponseTooLarge(max_bytes)
    size = 0
    for chunk in response.iter_bytes(chunk_size):
        size += len(chunk)
        if size > max_bytes:
            raise ResponseTooLarge(max_bytes)
        yield chunk


def is_transient(status):
    return status in TRANSIENT_STATUSES or status >= 500


def raise_for_status(response, vendor):
    """HTTPError for a 4xx/5xx answer, permanent unless retrying can help."""
    if response.status_code < 400:
        return response
    raise HTTPError(
        _("%(vendor)s respondió %(status)s: %(body)s")
        % {"vendor": vendor, "status": response.status_code, "body": response.text[:300]},
        permanent=not is_transient(response.status_code),
        sent=True,
        status=response.status_code,
    )
