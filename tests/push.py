"""A local push service (pytest-httpserver) speaking RFC 8030 as the browsers' push
services do, and a browser's side of a subscription (a real P-256 key pair and auth
secret, RFC 8291), so a test can decrypt what we pushed and check our VAPID signature.

Shapes from the RFCs, not invented: a push is `POST <endpoint>` answered `201 Created`
with a `Location` (RFC 8030 section 5); an expired subscription answers `404`/`410`
(RFC 8030 section 7.3, Mozilla autopush and FCM do the same); the body is aes128gcm
(RFC 8188, RFC 8291 section 4) and `Authorization: vapid t=<JWT>, k=<key>` (RFC 8292
section 3).

Tests use the `push_service` fixture (tests/conftest.py).
"""

import base64
import json
import os
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlparse

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from werkzeug.wrappers import Response

from courseops.messaging.management.commands.generate_vapid_keys import vapid_key_pair


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class BrowserKeys:
    """What a browser keeps of its subscription: the private key and the auth secret."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth_secret: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self):
        return b64url(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    @property
    def auth(self):
        return b64url(self.auth_secret)

    def as_json(self):
        """PushSubscription.toJSON(), as a browser sends it."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}

    def decrypt(self, body):
        return http_ece.decrypt(
            body, private_key=self.private_key, auth_secret=self.auth_secret, version="aes128gcm"
        )


class FakePushService:
    def __init__(self, httpserver, vapid_public_key):
        self.server = httpserver
        self.vapid_public_key = vapid_public_key
        self.answers = {}  # path -> status to answer instead of 201
        self.server.no_handler_status_code = 404

    @property
    def origin(self):
        # By address: the push guard refuses the name "localhost" outright.
        return f"http://127.0.0.1:{self.server.port}"

    def new_browser(self):
        """A browser's subscription on this service, with keys only it (the test) holds."""
        path = f"/push/{secrets.token_urlsafe(12)}"
        browser = BrowserKeys(endpoint=self.origin + path)
        self.server.expect_request(path, method="POST").respond_with_handler(
            lambda request, path=path: self._answer(path)
        )
        return browser

    def answer(self, browser, status):
        """From now on, answer pushes to `browser` with `status` (410: it unsubscribed)."""
        self.answers[urlparse(browser.endpoint).path] = status

    def _answer(self, path):
        status = self.answers.get(path, 201)
        headers = {"Location": f"{self.origin}/message/{secrets.token_urlsafe(8)}"}
        return Response("", status=status, headers=headers if status == 201 else {})

    def pushes(self, browser=None):
        """The POSTs received (all, or those to `browser`), oldest first."""
        log = [request for request, _response in self.server.log]
        if browser is not None:
            log = [r for r in log if r.path == urlparse(browser.endpoint).path]
        return log

    def notice(self, request, browser):
        """The decrypted payload of one received push, after checking it is aes128gcm
        and signed with our VAPID key for this service's origin."""
        assert request.headers["Content-Encoding"] == "aes128gcm"
        assert int(request.headers["TTL"]) >= 0
        self.check_vapid(request.headers["Authorization"])
        return json.loads(browser.decrypt(request.get_data()))

    def check_vapid(self, authorization):
        scheme, _sp, params = authorization.partition(" ")
        assert scheme == "vapid"
        values = dict(part.strip().split("=", 1) for part in params.split(","))
        assert values["k"] == self.vapid_public_key
        header, claims, signature = values["t"].split(".")
        raw = unb64url(signature)
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        public = ec.EllipticCurvePublicKey.from_encoded_point(
            ec.SECP256R1(), unb64url(self.vapid_public_key)
        )
        # Raises InvalidSignature if the JWT was not signed with our private key.
        public.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
        assert json.loads(unb64url(header))["alg"] == "ES256"
        payload = json.loads(unb64url(claims))
        assert payload["aud"] == self.origin
        assert payload["sub"].startswith("mailto:")
        return payload


def start_push_service(httpserver, settings):
    """Push turned on with a fresh VAPID pair, and a push service on 127.0.0.1 that the
    settings allow subscriptions to point at (its loopback address opened to the HTTP
    guard, as an operator with a local push service would)."""
    private, public = vapid_key_pair()
    settings.WEBPUSH_VAPID_PRIVATE_KEY = private
    settings.WEBPUSH_VAPID_PUBLIC_KEY = public
    service = FakePushService(httpserver, public)
    settings.WEBPUSH_SERVICE_URLS = [f"{service.origin}/push/"]
    settings.HTTP_USER_URL_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    return service
