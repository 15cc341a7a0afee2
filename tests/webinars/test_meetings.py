import json

import httpx
import pytest
import respx

from webinars.meetings import MeetingError, get_provider
from webinars.meetings.jitsi import JitsiProvider

ZOOM_API = "https://api.zoom.us/v2"
ZOOM_TOKEN = "https://zoom.us/oauth/token"


@pytest.fixture
def zoom(settings):
    settings.WEBINAR_MEETING_PROVIDER = "zoom"
    settings.ZOOM_ACCOUNT_ID = "acc-1"
    settings.ZOOM_CLIENT_ID = "client-1"
    settings.ZOOM_CLIENT_SECRET = "secret-1"
    with respx.mock(assert_all_called=False) as router:
        router.post(ZOOM_TOKEN).respond(
            json={"access_token": "tok-1", "token_type": "bearer", "expires_in": 3600, "scope": ""}
        )
        yield router


def test_jitsi_gives_each_webinar_its_own_unguessable_room(make_webinar):
    first, second = make_webinar(), make_webinar()

    assert first.meeting_provider == "jitsi"
    assert first.meeting_url.startswith("https://meet.jit.si/courseops-")
    assert first.meeting_url != second.meeting_url
    assert len(first.meeting_url.rsplit("-", 1)[-1]) == 32
    assert JitsiProvider().register(first, None) == ""


def test_zoom_creates_the_meeting_with_a_server_to_server_token(zoom, make_webinar):
    created = zoom.post(f"{ZOOM_API}/users/me/meetings").respond(
        201, json={"id": 81234567890, "join_url": "https://zoom.us/j/81234567890"}
    )

    webinar = make_webinar()

    token_request = zoom.calls[0].request
    assert token_request.headers["Authorization"] == "Basic Y2xpZW50LTE6c2VjcmV0LTE="
    assert token_request.content == b"grant_type=account_credentials&account_id=acc-1"
    request = created.calls.last.request
    assert request.headers["Authorization"] == "Bearer tok-1"
    body = json.loads(request.content)
    assert body["type"] == 2
    assert body["start_time"] == "2026-12-10T17:00:00Z"
    assert body["timezone"] == "America/Mexico_City"
    assert body["settings"]["approval_type"] == 0
    assert webinar.meeting_provider == "zoom"
    assert webinar.meeting_url == "https://zoom.us/j/81234567890"
    assert webinar.meeting_external_id == "81234567890"


def test_zoom_token_is_reused_until_it_expires(zoom):
    zoom.post(f"{ZOOM_API}/meetings/1/registrants").respond(
        201, json={"registrant_id": "r", "join_url": "https://zoom.us/w/1?tk=a"}
    )
    provider = get_provider("zoom")

    class Reg:
        name, email = "Ana López", "ana@example.com"

    class Web:
        meeting_external_id = "1"

    assert provider.register(Web, Reg) == "https://zoom.us/w/1?tk=a"
    assert provider.register(Web, Reg) == "https://zoom.us/w/1?tk=a"

    token_calls = [call for call in zoom.calls if call.request.url == ZOOM_TOKEN]
    assert len(token_calls) == 1
    body = json.loads(zoom.calls.last.request.content)
    assert body == {"email": "ana@example.com", "first_name": "Ana", "last_name": "López"}


def test_zoom_server_errors_are_transient_and_client_errors_permanent(zoom, make_webinar):
    route = zoom.post(f"{ZOOM_API}/users/me/meetings")
    route.respond(503, text="busy")
    webinar = make_webinar(schedule=False)
    with pytest.raises(MeetingError) as transient:
        get_provider().create(webinar)
    route.respond(400, json={"code": 300, "message": "Invalid"})
    with pytest.raises(MeetingError) as permanent:
        get_provider().create(webinar)
    route.side_effect = httpx.ConnectTimeout("slow")
    with pytest.raises(MeetingError) as timeout:
        get_provider().create(webinar)

    assert not transient.value.permanent
    assert permanent.value.permanent
    assert not timeout.value.permanent


def test_scheduling_with_zoom_down_keeps_the_draft_and_shows_the_error(zoom, make_webinar):
    from webinars.services import webinar_schedule

    zoom.post(f"{ZOOM_API}/users/me/meetings").respond(500, text="oops")
    webinar = make_webinar(schedule=False)

    with pytest.raises(MeetingError):
        webinar_schedule(webinar=webinar)

    webinar.refresh_from_db()
    assert webinar.status == "draft"
    assert "HTTP 500" in webinar.meeting_error


def test_a_zoom_registrant_gets_a_personal_link_in_the_confirmation(
    zoom, make_webinar, django_capture_on_commit_callbacks
):
    import time_machine
    from django.core import mail

    from tests.webinars.conftest import START
    from webinars.services import registration_create

    zoom.post(f"{ZOOM_API}/users/me/meetings").respond(
        201, json={"id": 555, "join_url": "https://zoom.us/j/555"}
    )
    added = zoom.post(f"{ZOOM_API}/meetings/555/registrants").respond(
        201, json={"id": 555, "registrant_id": "abc", "join_url": "https://zoom.us/w/555?tk=XYZ"}
    )
    with time_machine.travel(START.replace(month=11), tick=False):
        webinar = make_webinar()
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            registration = registration_create(
                webinar=webinar, email="eva@example.com", name="Eva", source="page"
            )

    registration.refresh_from_db()
    assert registration.join_url == "https://zoom.us/w/555?tk=XYZ"
    assert json.loads(added.calls.last.request.content)["email"] == "eva@example.com"
    # The email carries the tracked join link, which leads to the personal Zoom link.
    from webinars.services.attendance import join_follow, join_url

    tracked = join_url(registration)
    assert tracked in mail.outbox[0].body
    token = tracked.rstrip("/").rsplit("/", 1)[-1]
    assert join_follow(token=token, count=False) == "https://zoom.us/w/555?tk=XYZ"


def test_zoom_follows_a_reschedule_and_a_cancel(zoom, make_webinar):
    from datetime import timedelta

    import time_machine

    from tests.webinars.conftest import START
    from webinars.services import webinar_cancel, webinar_reschedule

    zoom.post(f"{ZOOM_API}/users/me/meetings").respond(
        201, json={"id": 777, "join_url": "https://zoom.us/j/777"}
    )
    patched = zoom.patch(f"{ZOOM_API}/meetings/777").respond(204)
    deleted = zoom.delete(f"{ZOOM_API}/meetings/777").respond(404, json={"code": 3001})

    with time_machine.travel(START - timedelta(days=20), tick=False):
        webinar = make_webinar()
        webinar_reschedule(webinar=webinar, starts_at=START + timedelta(hours=2))
        webinar_cancel(webinar=webinar)

    assert json.loads(patched.calls.last.request.content)["start_time"] == "2026-12-10T19:00:00Z"
    assert deleted.called  # already gone at Zoom counts as deleted
    webinar.refresh_from_db()
    assert webinar.status == "cancelled"
    assert webinar.meeting_error == ""


def test_a_zoom_error_while_rescheduling_keeps_the_old_time(zoom, make_webinar):
    from datetime import timedelta

    import time_machine

    from tests.webinars.conftest import START
    from webinars.services import webinar_reschedule

    zoom.post(f"{ZOOM_API}/users/me/meetings").respond(
        201, json={"id": 778, "join_url": "https://zoom.us/j/778"}
    )
    zoom.patch(f"{ZOOM_API}/meetings/778").respond(400, json={"code": 300})

    with time_machine.travel(START - timedelta(days=20), tick=False):
        webinar = make_webinar()
        with pytest.raises(MeetingError):
            webinar_reschedule(webinar=webinar, starts_at=START + timedelta(hours=2))

    webinar.refresh_from_db()
    assert webinar.starts_at == START
    assert webinar.ics_sequence == 0


def test_when_zoom_refuses_a_registrant_the_confirmation_still_goes_with_the_shared_link(
    zoom, make_webinar, django_capture_on_commit_callbacks
):
    import time_machine
    from django.core import mail

    from tests.webinars.conftest import START
    from webinars.services import registration_create

    zoom.post(f"{ZOOM_API}/users/me/meetings").respond(
        201, json={"id": 556, "join_url": "https://zoom.us/j/556"}
    )
    zoom.post(f"{ZOOM_API}/meetings/556/registrants").respond(
        400, json={"code": 3000, "message": "Registration has not been enabled"}
    )
    with time_machine.travel(START.replace(month=11), tick=False):
        webinar = make_webinar()
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            registration = registration_create(
                webinar=webinar, email="eva@example.com", name="Eva", source="page"
            )

    registration.refresh_from_db()
    assert "Registration has not been enabled" in registration.last_error
    assert registration.join_url == ""
    from webinars.services.attendance import join_url

    assert join_url(registration) in mail.outbox[0].body  # leads to the shared link
    assert registration.link == "https://zoom.us/j/556"
