"""Twilio's documented callbacks (tests/fixtures/vendors/twilio) through /webhooks/twilio/."""

import pytest

from courseops.messaging.models import Suppression
from courseops.webhooks.models import WebhookEvent
from tests.fixtures.vendors import load, names
from tests.webhooks.conftest import twilio_post

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", names("twilio"))
def test_every_twilio_callback_of_the_corpus_is_stored_once_and_processed(
    client, django_capture_on_commit_callbacks, name
):
    params = load("twilio", name)["params"]
    with django_capture_on_commit_callbacks(execute=True):
        assert twilio_post(client, params).status_code == 200
        assert twilio_post(client, params).status_code == 200  # Twilio retried

    event = WebhookEvent.objects.get()
    expected = "message.inbound" if name.startswith("inbound") else "message.status"
    assert event.event_type == expected
    assert event.status == WebhookEvent.Status.PROCESSED, event.last_error


def test_twilios_inbound_stop_example_suppresses_the_sender(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        twilio_post(client, load("twilio", "inbound_stop")["params"])

    assert Suppression.objects.filter(channel="sms", address="+34612345678").exists()
