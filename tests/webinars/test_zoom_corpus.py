"""Zoom's documented payloads (tests/fixtures/vendors/zoom) through /webhooks/zoom/."""

import pytest

from courseops.webhooks.models import WebhookEvent
from tests.fixtures.vendors import load, names
from tests.webinars import test_zoom_after
from webinars.models import Registration

pytestmark = pytest.mark.django_db
MEETING_ID, _post = test_zoom_after.MEETING_ID, test_zoom_after._post
# Zoom's settings (and a faked token endpoint) and a scheduled webinar, as those tests have.
zoom, webinar = test_zoom_after.zoom, test_zoom_after.webinar
EVENTS = [name for name in names("zoom") if name != "endpoint.url_validation"]


@pytest.mark.parametrize("name", EVENTS)
def test_every_zoom_event_of_the_corpus_is_stored_once_and_processed(
    client,
    zoom,
    django_capture_on_commit_callbacks,
    name,
):
    payload = load("zoom", name)
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, payload).json() == {"status": "received"}
        assert _post(client, payload).json() == {"status": "duplicate"}

    event = WebhookEvent.objects.get()
    assert (event.provider, event.event_type) == ("zoom", name)
    # A meeting of the Zoom account that is none of our webinars: nothing to do, no error.
    assert event.status == WebhookEvent.Status.PROCESSED, event.last_error


def test_zooms_url_validation_example_is_answered(client, zoom):
    response = _post(client, load("zoom", "endpoint.url_validation"))
    assert response.json()["plainToken"] == "qgg8vlvZRS6UYooatFL8Aw"
    assert len(response.json()["encryptedToken"]) == 64


def test_zooms_webinar_join_and_leave_examples_give_attendance(
    client,
    zoom,
    webinar,
    django_capture_on_commit_callbacks,
):
    joined = load("zoom", "webinar.participant_joined")
    left = load("zoom", "webinar.participant_left")
    for body, moment, key in ((joined, "17:05", "join_time"), (left, "17:50", "leave_time")):
        body["payload"]["object"]["id"] = str(MEETING_ID)
        body["payload"]["object"]["participant"].update(
            {key: f"2026-12-10T{moment}:00Z", "email": "ana@example.com"}
        )
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, joined)
        _post(client, left)

    ana = Registration.objects.get(webinar=webinar, email="ana@example.com")
    assert (ana.attended, ana.minutes_attended) == (True, 45)
