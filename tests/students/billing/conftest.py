"""A local fake of Stripe's API (pytest-httpserver) so the real SDK runs, plus signed
webhook deliveries built with Stripe's own signature scheme.

`FakeStripe.subscriptions` is Stripe's current state: what `GET /v1/subscriptions/<id>`
answers, whatever the event payloads say.
"""

import copy
import itertools
import json
import re
import time

import pytest
import stripe
from werkzeug import Response

from students.models import Plan, Student

WEBHOOK_SECRET = "whsec_billing_test_secret"
API_KEY = "sk_test_billing_123"
SITE_URL = "https://ops.example.com"
PERIOD_END = 1_798_761_600  # 2027-01-01T00:00:00Z


def stripe_error(status, message, *, type_="invalid_request_error", code=""):
    body = {"error": {"type": type_, "message": message, "code": code}}
    return Response(json.dumps(body), status=status, content_type="application/json")


class FakeStripe:
    def __init__(self, server):
        self.server = server
        self.subscriptions = {}
        self.fail_next = []  # Responses answered (once each) before the normal ones
        self._ids = itertools.count(1)
        server.expect_request("/v1/checkout/sessions", method="POST").respond_with_handler(
            self._checkout
        )
        server.expect_request("/v1/billing_portal/sessions", method="POST").respond_with_handler(
            self._portal
        )
        server.expect_request(
            re.compile(r"^/v1/subscriptions/[^/]+$"), method="GET"
        ).respond_with_handler(self._subscription)
        server.expect_request(
            re.compile(r"^/v1/subscriptions/[^/]+$"), method="DELETE"
        ).respond_with_handler(self._cancel)

    def _json(self, body):
        return Response(json.dumps(body), status=200, content_type="application/json")

    def _checkout(self, request):
        if self.fail_next:
            return self.fail_next.pop(0)
        number = next(self._ids)
        return self._json(
            {
                "id": f"cs_test_{number}",
                "object": "checkout.session",
                "mode": "subscription",
                "url": f"https://checkout.stripe.com/c/pay/cs_test_{number}",
            }
        )

    def _portal(self, request):
        if self.fail_next:
            return self.fail_next.pop(0)
        number = next(self._ids)
        return self._json(
            {
                "id": f"bps_{number}",
                "object": "billing_portal.session",
                "customer": request.form["customer"],
                "url": f"https://billing.stripe.com/p/session/test_{number}",
            }
        )

    def _subscription(self, request):
        if self.fail_next:
            return self.fail_next.pop(0)
        subscription_id = request.path.rsplit("/", 1)[1]
        if subscription_id not in self.subscriptions:
            return stripe_error(
                404, f"No such subscription: '{subscription_id}'", code="resource_missing"
            )
        return self._json(self.subscriptions[subscription_id])

    def _cancel(self, request):
        """Stripe cancels at once: the subscription is `canceled` from now on."""
        subscription_id = request.path.rsplit("/", 1)[1]
        if subscription_id not in self.subscriptions:
            return self._subscription(request)
        self.subscriptions[subscription_id]["status"] = "canceled"
        return self._json(self.subscriptions[subscription_id])

    def requests(self, path):
        """(form params, headers) of each request received on `path`, in order."""
        return [
            (request.form.to_dict(), request.headers)
            for request, _response in self.server.log
            if request.path == path
        ]

    def set_subscription(self, **kwargs):
        data = subscription(**kwargs)
        self.subscriptions[data["id"]] = data
        return copy.deepcopy(data)


def subscription(
    *,
    id="sub_1",
    customer="cus_1",
    status="active",
    price="price_basico",
    plan="basico",
    email="lucia@example.com",
    cancel_at_period_end=False,
):
    return {
        "id": id,
        "object": "subscription",
        "customer": customer,
        "status": status,
        "cancel_at_period_end": cancel_at_period_end,
        "metadata": {"plan": plan, "email": email},
        "items": {
            "object": "list",
            "data": [
                {
                    "id": f"si_{id}",
                    "object": "subscription_item",
                    "price": {"id": price, "object": "price"},
                    "current_period_end": PERIOD_END,
                }
            ],
        },
    }


_event_ids = itertools.count(1)


def event(type_, obj, *, event_id=None):
    return {
        "id": event_id or f"evt_test_{next(_event_ids)}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "livemode": False,
        "type": type_,
        "data": {"object": obj},
    }


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    """POST a signed Stripe event to the inbox and run its handler (on-commit task)."""

    def post(payload):
        body = json.dumps(payload)
        header = stripe.WebhookSignature.generate_signature_header(
            body, WEBHOOK_SECRET, timestamp=int(time.time())
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/webhooks/stripe/",
                data=body,
                content_type="application/json",
                headers={"Stripe-Signature": header},
            )
        assert response.status_code == 200, response.content
        return response.json()["status"]

    return post


@pytest.fixture
def fake_stripe(httpserver, settings):
    settings.STRIPE_SECRET_KEY = API_KEY
    settings.STRIPE_API_BASE = httpserver.url_for("/").rstrip("/")
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.STRIPE_TIMEOUT_SECONDS = 5
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.SITE_URL = SITE_URL
    settings.STRIPE_CHECKOUT_SUCCESS_URL = f"{SITE_URL}/portal/?pago=ok"
    settings.STRIPE_CHECKOUT_CANCEL_URL = f"{SITE_URL}/registro/"
    settings.STRIPE_PORTAL_RETURN_URL = f"{SITE_URL}/portal/"
    return FakeStripe(httpserver)


@pytest.fixture
def plans(db):
    return {
        "basico": Plan.objects.create(
            slug="basico", name="Básico", price=29, stripe_price_id="price_basico"
        ),
        "premium": Plan.objects.create(
            slug="premium", name="Premium", price=79, stripe_price_id="price_premium"
        ),
    }


@pytest.fixture
def lucia(plans):
    """An onboarded student who paid through Checkout before (no Stripe link yet)."""
    return Student.objects.create(
        full_name="Lucía Pérez",
        email="lucia@example.com",
        plan=plans["basico"],
        status=Student.Status.ACTIVE,
        source=Student.Source.API,
        time_zone="America/Mexico_City",
    )
