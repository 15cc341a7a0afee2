"""Shared set-up for the webhook tests: secrets, an isolated handler registry, signers.

Signatures are computed here from each vendor's documented scheme (Stripe and Twilio
with their own SDKs), never with the code under test.
"""

import base64
import hashlib
import hmac
import json
import time

import pytest
import stripe
from twilio.request_validator import RequestValidator

from courseops.webhooks import registry

TYPEFORM_SECRET = "typeform-secret-123"
STRIPE_SECRET = "whsec_stripe_test_secret"
GENERIC_KEY = b"0123456789abcdef0123456789abcdef"
GENERIC_SECRET = "whsec_" + base64.b64encode(GENERIC_KEY).decode()
TWILIO_TOKEN = "twilio-auth-token-42"
SITE_URL = "https://ops.example.com"


@pytest.fixture(autouse=True)
def _webhook_secrets(settings):
    settings.TYPEFORM_WEBHOOK_SECRET = TYPEFORM_SECRET
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_SECRET
    settings.GENERIC_WEBHOOK_SECRET = GENERIC_SECRET
    settings.TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.SITE_URL = SITE_URL


@pytest.fixture
def handlers(monkeypatch):
    """An empty handler registry for one test (apps' real handlers are not discovered)."""
    monkeypatch.setattr(registry, "_handlers", {})
    monkeypatch.setattr(registry, "_discovered", True)
    return registry


class Calls(list):
    """Handlers registered through `register` append (provider, event_id, attempt) here."""

    def __init__(self, registry_module):
        super().__init__()
        self.registry = registry_module

    def register(self, provider, event_type, *, errors=()):
        """`errors`: exceptions raised by the first attempts, in order; then it succeeds."""
        errors = list(errors)

        @self.registry.webhook_handler(provider, event_type)
        def handler(event):
            self.append((event.provider, event.event_id, event.attempts))
            if errors:
                raise errors.pop(0)

        return handler


@pytest.fixture
def calls(handlers):
    return Calls(handlers)


def typeform_post(client, payload, *, secret=TYPEFORM_SECRET, body=None):
    raw = body if body is not None else json.dumps(payload).encode()
    digest = hmac.new(secret.encode(), raw, hashlib.sha256).digest()
    signature = "sha256=" + base64.b64encode(digest).decode()
    return client.post(
        "/webhooks/typeform/",
        data=raw,
        content_type="application/json",
        headers={"Typeform-Signature": signature},
    )


def typeform_event(event_id="01HTYPEFORM1", **extra):
    return {
        "event_id": event_id,
        "event_type": "form_response",
        "form_response": {"form_id": "abc", "answers": [{"field": {"ref": "email"}}]},
        **extra,
    }


def stripe_post(client, payload, *, secret=STRIPE_SECRET, timestamp=None, body=None):
    raw = body if body is not None else json.dumps(payload)
    header = stripe.WebhookSignature.generate_signature_header(
        raw, secret, timestamp=timestamp or int(time.time())
    )
    return client.post(
        "/webhooks/stripe/",
        data=raw,
        content_type="application/json",
        headers={"Stripe-Signature": header},
    )


def generic_headers(body: bytes, *, event_id="evt-1", timestamp=None, key=GENERIC_KEY):
    sent_at = int(time.time()) if timestamp is None else timestamp
    signed = f"{event_id}.{sent_at}.".encode() + body
    signature = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return {
        "Webhook-Id": event_id,
        "Webhook-Timestamp": str(sent_at),
        "Webhook-Signature": f"v1,{signature}",
    }


def generic_post(client, payload=None, *, body=None, **header_options):
    raw = body if body is not None else json.dumps(payload).encode()
    return client.post(
        "/webhooks/generic/",
        data=raw,
        content_type="application/json",
        headers=generic_headers(raw, **header_options),
    )


def twilio_post(client, params, *, path="/webhooks/twilio/", token=TWILIO_TOKEN):
    from urllib.parse import urlencode

    signature = RequestValidator(token).compute_signature(SITE_URL + path, params)
    return client.post(
        path,
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )
