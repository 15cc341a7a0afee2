import json
import time

import pytest

from courseops.webhooks.models import WebhookEvent
from tests.webhooks.conftest import (
    generic_post,
    stripe_post,
    typeform_event,
    typeform_post,
)

pytestmark = pytest.mark.django_db


def stripe_event(event_id="evt_1NqX", type_="invoice.paid"):
    return {
        "id": event_id,
        "object": "event",
        "type": type_,
        "api_version": "2025-09-30.clover",
        "data": {"object": {"id": "in_1", "object": "invoice"}},
    }


def test_a_signed_typeform_response_is_stored_and_acknowledged(client, calls):
    calls.register("typeform", "form_response")

    response = typeform_post(client, typeform_event())

    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.provider, event.event_id, event.event_type) == (
        "typeform",
        "01HTYPEFORM1",
        "form_response",
    )
    assert event.payload["form_response"]["form_id"] == "abc"
    assert json.loads(event.body) == typeform_event()
    assert event.headers["Content-Type"] == "application/json"


def test_an_accepted_delivery_writes_no_info_log_line_the_row_is_its_record(client, calls):
    from structlog.testing import capture_logs

    calls.register("typeform", "form_response")

    with capture_logs() as logs:
        response = typeform_post(client, typeform_event())

    assert response.status_code == 200
    assert WebhookEvent.objects.filter(event_id="01HTYPEFORM1").exists()
    received = [log for log in logs if log["event"] == "webhook.received"]
    assert [log for log in received if log["log_level"] != "debug"] == []


def test_the_handler_runs_after_commit_and_marks_the_event_processed(
    client, calls, django_capture_on_commit_callbacks
):
    calls.register("typeform", "form_response")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        typeform_post(client, typeform_event())
        assert calls == []  # nothing ran inside the request's transaction

    assert len(callbacks) == 1
    assert calls == [("typeform", "01HTYPEFORM1", 1)]
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.PROCESSED
    assert event.processed_at is not None


def test_a_duplicate_delivery_answers_200_and_runs_the_handler_once(
    client, calls, django_capture_on_commit_callbacks
):
    calls.register("typeform", "form_response")

    with django_capture_on_commit_callbacks(execute=True):
        first = typeform_post(client, typeform_event())
    with django_capture_on_commit_callbacks(execute=True) as second_callbacks:
        second = typeform_post(client, typeform_event())

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json() == {"status": "duplicate"}
    assert second_callbacks == []
    assert WebhookEvent.objects.count() == 1
    assert calls == [("typeform", "01HTYPEFORM1", 1)]


def test_the_same_event_id_from_two_providers_is_two_events(client):
    typeform_post(client, typeform_event(event_id="shared-id"))
    generic_post(client, {"type": "lead.created"}, event_id="shared-id")

    assert WebhookEvent.objects.filter(event_id="shared-id").count() == 2


def test_a_typeform_request_with_a_wrong_signature_is_refused_and_not_stored(client):
    response = typeform_post(client, typeform_event(), secret="someone-else")

    assert response.status_code == 401
    assert "signature" in response.json()["detail"].lower()
    assert not WebhookEvent.objects.exists()


def test_a_request_without_any_signature_is_refused_with_401(client):
    response = client.post(
        "/webhooks/typeform/", data=json.dumps(typeform_event()), content_type="application/json"
    )

    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("provider", ["typeform", "stripe", "generic", "twilio"])
def test_a_provider_without_a_secret_refuses_even_a_signed_request(client, settings, provider):
    setting = {
        "typeform": "TYPEFORM_WEBHOOK_SECRET",
        "stripe": "STRIPE_WEBHOOK_SECRET",
        "generic": "GENERIC_WEBHOOK_SECRET",
        "twilio": "TWILIO_AUTH_TOKEN",
    }[provider]
    setattr(settings, setting, "")

    response = client.post(f"/webhooks/{provider}/", data="{}", content_type="application/json")

    assert response.status_code == 403
    assert setting in response.json()["detail"]
    assert not WebhookEvent.objects.exists()


def test_an_unknown_provider_answers_404_in_json(client):
    response = client.post("/webhooks/paypal/", data="{}", content_type="application/json")

    assert response.status_code == 404
    assert response.json() == {"detail": "Unknown webhook provider."}


def test_the_url_without_a_trailing_slash_is_accepted_rather_than_redirected(client):
    raw = json.dumps(typeform_event()).encode()
    response = typeform_post(client, None, body=raw)
    assert response.status_code == 200
    response = client.post("/webhooks/typeform", data=raw, content_type="application/json")
    assert response.status_code == 401  # reached the view: no redirect turning POST into GET


def test_a_get_is_not_allowed(client):
    assert client.get("/webhooks/typeform/").status_code == 405


def test_signed_malformed_json_answers_400_and_stores_nothing(client):
    response = typeform_post(client, None, body=b'{"event_id": "x", ')

    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[1, 2]", "object"),
        (b'{"event_type": "form_response"}', "event_id"),
        (b'{"event_id": "a", "event_type": "x", "n": NaN}', "JSON"),
        (b'{"event_id": "a", "event_type": "x", "n": 1e999}', "JSON"),
        (b'{"event_id": "a\\u0000", "event_type": "x"}', "NUL"),
        (b'{"event_id": "a", "event_type": "x", "t": "\\ud800"}', "surrogates"),
        (b'{"event_id": "a", "event_type": "x", "t": ["ok", {"\\uDC00": 1}]}', "surrogates"),
        (b'{"event_id": "a", "event_type": "x", "t": {"k\\u0000": "v"}}', "NUL"),
        # The unpaired half after a valid pair (an emoji) is still found.
        (b'{"event_id": "a", "event_type": "x", "t": "\\ud83d\\ude00\\ud83d"}', "surrogates"),
        (b'{"event_id": "a", "event_type": "x", "t": "\xff"}', "UTF-8"),
        (b'{"event_id": "' + b"a" * 256 + b'", "event_type": "x"}', "255"),
        (b"[" * 100_000 + b"]" * 100_000, "JSON"),
    ],
)
def test_signed_bodies_the_database_could_not_store_answer_400(client, body, reason):
    response = typeform_post(client, None, body=body)

    assert response.status_code == 400
    assert reason in response.json()["detail"]
    assert not WebhookEvent.objects.exists()


def test_escapes_that_look_unstorable_but_decode_to_storable_text_are_accepted(client):
    """An emoji escaped as a surrogate pair (ASCII-only encoders write them so), an escaped
    backslash before `u0000`, and accents are stored as sent."""
    body = (
        b'{"event_id": "esc", "event_type": "form_response", '
        b'"t": "\\ud83d\\ude00 \\\\u0000 Jos\\u00e9 \\uD83C\\uDF89"}'
    )

    response = typeform_post(client, None, body=body)

    assert response.status_code == 200, response.content
    assert WebhookEvent.objects.get(event_id="esc").payload["t"] == "\U0001f600 \\u0000 José 🎉"


def test_a_body_declared_over_1_mib_answers_413(client):
    body = b'{"event_id": "big", "event_type": "x", "pad": "' + b"a" * (1024 * 1024) + b'"}'

    response = typeform_post(client, None, body=body)

    assert response.status_code == 413
    assert not WebhookEvent.objects.exists()


def test_a_body_exactly_1_mib_is_accepted(client):
    head = b'{"event_id": "edge", "event_type": "x", "pad": "'
    body = head + b"a" * (1024 * 1024 - len(head) - 2) + b'"}'
    assert len(body) == 1024 * 1024

    assert typeform_post(client, None, body=body).status_code == 200


def test_a_body_longer_than_its_declared_length_is_cut_off_while_streaming(rf):
    """A server that does not bound the stream (chunked upload) must not let 2 MiB in."""
    import io

    from courseops.webhooks.errors import PayloadTooLarge
    from courseops.webhooks.views import read_body

    request = rf.post("/webhooks/generic/", data=b"{}", content_type="application/json")
    request._stream = io.BytesIO(b"a" * (2 * 1024 * 1024))

    with pytest.raises(PayloadTooLarge):
        read_body(request)


def test_a_stripe_event_signed_with_the_sdk_scheme_is_stored(client):
    response = stripe_post(client, stripe_event())

    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.event_id, event.event_type) == ("evt_1NqX", "invoice.paid")


def test_a_stripe_event_older_than_300_seconds_is_refused_as_a_replay(client):
    response = stripe_post(client, stripe_event(), timestamp=int(time.time()) - 301)

    assert response.status_code == 401
    assert "tolerance" in response.json()["detail"]
    assert not WebhookEvent.objects.exists()


def test_a_stripe_event_signed_with_another_secret_is_refused(client):
    response = stripe_post(client, stripe_event(), secret="whsec_other")

    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()


def test_a_garbled_stripe_signature_header_is_refused_not_a_500(client):
    response = client.post(
        "/webhooks/stripe/",
        data=json.dumps(stripe_event()),
        content_type="application/json",
        headers={"Stripe-Signature": "t=notanumber,v1"},
    )

    assert response.status_code == 401


def test_a_signed_stripe_thin_event_answers_400(client):
    thin = {"id": "evt_thin", "object": "v2.core.event", "type": "v1.billing.meter.no_meter"}

    response = stripe_post(client, thin)

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_outside_any_transaction_the_event_is_committed_processed_and_deduplicated(client, calls):
    """As in production: no test transaction around the request, the task runs at once."""
    calls.register("typeform", "form_response")

    first = typeform_post(client, typeform_event())
    second = typeform_post(client, typeform_event())

    assert (first.json(), second.json()) == ({"status": "received"}, {"status": "duplicate"})
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.PROCESSED
    assert calls == [("typeform", "01HTYPEFORM1", 1)]


def test_a_duplicate_inside_a_callers_transaction_returns_the_stored_row_and_leaves_it_usable():
    from django.db import transaction

    from courseops.webhooks.providers.base import InboundEvent
    from courseops.webhooks.services import event_receive

    inbound = InboundEvent(
        event_id="evt_same", event_type="invoice.paid", payload={"a": 1}, body='{"a": 1}'
    )
    with transaction.atomic():
        first, created = event_receive(provider="stripe", inbound=inbound, headers={"x": "1"})
        again, created_again = event_receive(provider="stripe", inbound=inbound, headers={})
        # The transaction is still usable after the duplicate (no error was raised in it).
        assert WebhookEvent.objects.count() == 1

    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    stored = WebhookEvent.objects.get()
    assert (stored.payload, stored.headers, stored.body) == ({"a": 1}, {"x": "1"}, '{"a": 1}')
    assert stored.status == WebhookEvent.Status.RECEIVED
