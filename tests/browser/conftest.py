"""The public pages as people reach them: Chromium against an HTTPS live server running
with production's security settings.

How production is reproduced, and why this way:
- TLS is real: the live server's socket is wrapped with a self-signed certificate made
  for `localhost`, so the page's origin is `https://localhost:<port>`, Chromium keeps
  `Secure` cookies, and CSRF sees an https Origin (Chromium is told to accept the
  certificate, nothing else is relaxed).
- Production ends TLS at a proxy that says so in `X-Forwarded-Proto`; the request
  handler adds that header, so `request.is_secure()` goes through the same
  `SECURE_PROXY_SSL_HEADER` path as in production (and `SECURE_SSL_REDIRECT` would loop
  if it did not).
- The settings are `courseops.conf.production_security_settings()` (what settings.py
  applies when COURSEOPS_ENV=production), plus the values a deploy sets in the
  environment: ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS, SITE_URL. They are in force before
  the server starts because SecurityMiddleware reads them once, when it is built.
- Running the real `COURSEOPS_ENV=production` process instead was weighed: it would need
  collected static files, its own Celery worker and the test database's name, and would
  still test these same settings; the in-process server keeps eager tasks, the locmem
  outbox and one browser per module.

One Chromium per module (`chromium`), a fresh context (cookies, storage) per test (`page`).
"""

import datetime
import ipaddress
import os
import ssl

import pytest
from django.conf import settings
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connections
from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler
from django.test.utils import override_settings

from courseops.conf import production_security_settings
from tests.conftest import CHROMIUM, CHROMIUM_ARGS

HOST = "localhost"


def _self_signed_certificate(folder):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(HOST), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class BehindTlsProxyHandler(QuietWSGIRequestHandler):
    """What production's proxy adds to every request it forwards."""

    def get_environ(self):
        environ = super().get_environ()
        environ["HTTP_X_FORWARDED_PROTO"] = "https"
        return environ


class HttpsLiveServerThread(LiveServerThread):
    def __init__(self, *args, tls_context, **kwargs):
        self.tls_context = tls_context
        super().__init__(*args, **kwargs)

    def _create_server(self, connections_override=None):
        server = ThreadedWSGIServer(
            (self.host, self.port),
            BehindTlsProxyHandler,
            allow_reuse_address=False,
            connections_override=connections_override,
        )
        # The handshake happens in the request's own thread, not in the accept loop.
        server.socket = self.tls_context.wrap_socket(
            server.socket, server_side=True, do_handshake_on_connect=False
        )
        return server


class ProductionSite:
    def __init__(self, url):
        self.url = url

    def __str__(self):
        return self.url


@pytest.fixture(scope="module")
def production_site(tmp_path_factory):
    """An HTTPS live server with production's security settings, for one test module."""
    cert_path, key_path = _self_signed_certificate(tmp_path_factory.mktemp("tls"))
    tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_context.load_cert_chain(cert_path, key_path)
    thread = HttpsLiveServerThread(HOST, StaticFilesHandler, tls_context=tls_context)
    thread.daemon = True
    # SecurityMiddleware reads its settings once, when the server builds it: these must
    # be in force before the server starts.
    overrides = override_settings(
        **production_security_settings(),
        DEBUG=False,
        ALLOWED_HOSTS=[HOST],
    )
    overrides.enable()
    try:
        thread.start()
        thread.is_ready.wait()
        if thread.error:
            raise thread.error
        origin = f"https://{HOST}:{thread.port}"
        # Read at request time, so they may follow the server's start.
        site_overrides = override_settings(CSRF_TRUSTED_ORIGINS=[origin], SITE_URL=origin)
        site_overrides.enable()
        try:
            yield ProductionSite(origin)
        finally:
            site_overrides.disable()
            thread.terminate()
    finally:
        overrides.disable()


@pytest.fixture(scope="module")
def chromium():
    if not os.path.exists(CHROMIUM):
        pytest.skip("no Chromium at /usr/bin/chromium: run `make browser` to install it")
    playwright_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the tests' ORM calls are
    # plain synchronous code. Set for these modules only: `check --deploy` rejects it.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with playwright_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()


@pytest.fixture
def page(chromium, production_site, transactional_db):
    """A fresh browser context (no cookies) on the production-like site, in Spanish."""
    context = chromium.new_context(
        base_url=production_site.url,
        ignore_https_errors=True,
        locale="es-ES",
        # Headless Chrome says so in its user agent, and the landing pages rightly do not
        # count such visits as people's.
        user_agent="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
    )
    browser_page = context.new_page()
    browser_page.set_default_timeout(15_000)
    yield browser_page
    context.close()
    # While Playwright runs, Django sees another context and opens its own database
    # connection for it; close it there or the test database cannot be flushed.
    connections.close_all()


def assert_production_headers(response):
    """What every page sends in production: HSTS, same-origin referrer, no sniffing."""
    headers = response.headers
    assert headers["strict-transport-security"] == (
        f"max-age={settings.SECURE_HSTS_SECONDS}; includeSubDomains; preload"
    )
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"


def secure_cookies(page):
    """Every cookie the site set, which must all be Secure (and the session HttpOnly)."""
    return {cookie["name"]: cookie for cookie in page.context.cookies()}


@pytest.fixture
def fake_stripe(httpserver, settings, production_site):
    """Stripe's local fake (tests/students/billing), with this site's own addresses."""
    from tests.students.billing.conftest import API_KEY, FakeStripe

    settings.STRIPE_SECRET_KEY = API_KEY
    settings.STRIPE_API_BASE = httpserver.url_for("/").rstrip("/")
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.STRIPE_TIMEOUT_SECONDS = 5
    settings.STRIPE_CHECKOUT_SUCCESS_URL = f"{production_site.url}/portal/?pago=ok"
    settings.STRIPE_CHECKOUT_CANCEL_URL = f"{production_site.url}/"
    return FakeStripe(httpserver)


def stripe_checkout_page(page):
    """Stripe's hosted page, as far as the browser goes here (no network)."""
    page.route(
        "https://checkout.stripe.com/**",
        lambda route: route.fulfill(body="<h1>Stripe Checkout</h1>", content_type="text/html"),
    )
