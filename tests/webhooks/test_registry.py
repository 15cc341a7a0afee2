import hmac
import json

import pytest

from courseops.webhooks import registry
from courseops.webhooks.errors import SignatureInvalid
from courseops.webhooks.models import WebhookEvent
from courseops.webhooks.providers.base import InboundEvent, Provider, parse_json_object


class HeaderTokenProvider(Provider):
    """A made-up vendor that sends its secret in a header, as some LMS webhooks do."""

    name = "lms"
    label = "LMS"
    secret_setting = "LMS_WEBHOOK_TOKEN"

    def verify(self, request, body, secret):
        if not hmac.compare_digest(request.headers.get("X-Token", ""), secret):
            raise SignatureInvalid("Bad token.")

    def parse(self, request, body):
        payload = parse_json_object(body.decode())
        return InboundEvent(payload["id"], payload["topic"], payload, body.decode())


@pytest.fixture
def lms_provider(monkeypatch, settings):
    monkeypatch.setattr(registry, "PROVIDERS", dict(registry.PROVIDERS))
    monkeypatch.setattr(registry, "_providers", {})
    settings.LMS_WEBHOOK_TOKEN = "lms-token"
    registry.register_provider("lms", f"{__name__}.HeaderTokenProvider")


@pytest.mark.django_db
def test_an_app_can_register_a_provider_served_at_its_own_url(client, lms_provider):
    body = json.dumps({"id": "enr-1", "topic": "enrollment.created"})

    accepted = client.post(
        "/webhooks/lms/",
        data=body,
        content_type="application/json",
        headers={"X-Token": "lms-token"},
    )
    refused = client.post(
        "/webhooks/lms/", data=body, content_type="application/json", headers={"X-Token": "nope"}
    )

    assert (accepted.status_code, refused.status_code) == (200, 401)
    assert WebhookEvent.objects.get().event_type == "enrollment.created"


@pytest.mark.parametrize("name", ["Zoom", "zo om", "", "x" * 33, "../admin"])
def test_a_provider_name_that_cannot_be_a_url_segment_is_refused(name):
    with pytest.raises(ValueError, match="Invalid webhook provider name"):
        registry.register_provider(name, "somewhere.Provider")


def test_two_handlers_for_the_same_event_type_are_refused(handlers):
    @handlers.webhook_handler("stripe", "invoice.paid")
    def first(event):
        pass

    with pytest.raises(ValueError, match="already handled"):

        @handlers.webhook_handler("stripe", "invoice.paid")
        def second(event):
            pass

    assert handlers.get_handler("stripe", "invoice.paid") is first
