"""Webinars and the staff's Google Calendar, both ways, against a local server speaking
Calendar v3 (Google's official client runs unchanged, pointed at it by GOOGLE_API_ENDPOINT).

Response shapes: Calendar API v3 reference, Events resource, events.list (nextSyncToken,
410 "fullSyncRequired"), events.watch (api#channel) and push notifications' headers
(https://developers.google.com/workspace/calendar/api/v3/reference/events,
https://developers.google.com/workspace/calendar/api/guides/sync,
https://developers.google.com/workspace/calendar/api/guides/push)."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from pytest_httpserver import HTTPServer
from werkzeug import Response

from courseops.webhooks.models import WebhookEvent
from webinars.models import CalendarSync, Webinar
from webinars.services import google_calendar as gcal
from webinars.services import webinar_cancel, webinar_reschedule

pytestmark = pytest.mark.django_db
EVENTS = "/calendar/v3/calendars/primary/events"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
TOKEN = "canal-secreto-de-prueba"


@pytest.fixture(scope="module")
def server():
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def google(server, settings):
    server.clear()
    settings.GOOGLE_CLIENT_ID = "client.apps.googleusercontent.com"
    settings.GOOGLE_CLIENT_SECRET = "secreto"
    settings.GOOGLE_REFRESH_TOKEN = "1//refresh"
    settings.GOOGLE_TOKEN_URI = server.url_for("/token")
    settings.GOOGLE_API_ENDPOINT = server.url_for("/")
    settings.GOOGLE_CALENDAR_ID = "primary"
    settings.GOOGLE_CALENDAR_MARKER = "[webinar]"
    server.expect_request("/token", method="POST").respond_with_json(
        {"access_token": "ya29.cal", "expires_in": 3599, "token_type": "Bearer"}
    )
    with time_machine.travel(NOW, tick=False):
        yield server


def _calls(server, method=None):
    return [
        req
        for req, _ in server.log
        if req.path != "/token" and (method is None or req.method == method)
    ]


def _echo(status=200):
    def reply(request):
        body = json.loads(request.get_data() or b"{}")
        event = {
            "kind": "calendar#event",
            "etag": '"3181161784712000"',
            "status": "confirmed",
            **body,
        }
        event.setdefault("id", request.path.rsplit("/", 1)[-1])
        return Response(json.dumps(event), status=status, content_type="application/json")

    return reply


def test_a_webinar_writes_its_event_once_then_moves_and_deletes_it(
    google, make_webinar, django_capture_on_commit_callbacks
):
    google.expect_request(EVENTS, method="POST").respond_with_handler(_echo())
    google.expect_request(f"{EVENTS}/cow*", method="PATCH").respond_with_handler(_echo())
    google.expect_request(f"{EVENTS}/cow*", method="DELETE").respond_with_data("", status=204)

    webinar = make_webinar(title="IA para tu negocio")  # created, then scheduled: one insert

    [insert] = _calls(google)
    body = json.loads(insert.get_data())
    assert body["id"] == f"cow{webinar.uid.hex}"
    assert body["summary"] == "[webinar] IA para tu negocio"
    assert body["start"] == {
        "dateTime": "2026-12-10T11:00:00-06:00",
        "timeZone": "America/Mexico_City",
    }
    assert body["end"]["dateTime"] == "2026-12-10T12:00:00-06:00"
    assert body["extendedProperties"]["private"]["courseopsWebinar"] == str(webinar.uid)
    assert insert.headers["Authorization"] == "Bearer ya29.cal"
    webinar.refresh_from_db()
    assert webinar.calendar_event_id == f"cow{webinar.uid.hex}"

    gcal.push_event(webinar=webinar)  # nothing changed: no call
    assert len(_calls(google)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        webinar_reschedule(webinar=webinar, starts_at=webinar.starts_at + timedelta(hours=2))
    webinar.refresh_from_db()
    patch = _calls(google)[-1]
    assert patch.method == "PATCH"
    assert json.loads(patch.get_data())["start"]["dateTime"] == "2026-12-10T13:00:00-06:00"

    with django_capture_on_commit_callbacks(execute=True):
        webinar_cancel(webinar=webinar)
    assert _calls(google)[-1].method == "DELETE"
    assert len(_calls(google)) == 3


def test_an_insert_whose_answer_was_lost_updates_the_same_event(google, make_webinar, settings):
    settings.GOOGLE_CALENDAR_ID = ""
    webinar = make_webinar()
    settings.GOOGLE_CALENDAR_ID = "primary"
    google.expect_request(EVENTS, method="POST").respond_with_json(
        {
            "error": {
                "code": 409,
                "message": "The requested identifier already exists.",
                "errors": [{"domain": "global", "reason": "duplicate"}],
            }
        },
        status=409,
    )
    google.expect_request(f"{EVENTS}/cow{webinar.uid.hex}", method="PATCH").respond_with_handler(
        _echo()
    )

    gcal.push_event(webinar=webinar)

    assert [req.method for req in _calls(google)] == ["POST", "PATCH"]
    webinar.refresh_from_db()
    assert webinar.calendar_event_id == f"cow{webinar.uid.hex}"
    assert webinar.calendar_error == ""


def _event(event_id, summary, start, minutes=90, status="confirmed", **extra):
    return {
        "kind": "calendar#event",
        "etag": '"3181161784712000"',
        "id": event_id,
        "status": status,
        "htmlLink": f"https://www.google.com/calendar/event?eid={event_id}",
        "created": "2026-11-30T10:00:00.000Z",
        "updated": "2026-11-30T10:00:00.000Z",
        "summary": summary,
        "creator": {"email": "marta@example.com"},
        "organizer": {"email": "equipo@example.com", "self": True},
        "start": {"dateTime": start, "timeZone": "Europe/Madrid"},
        "end": {
            "dateTime": (datetime.fromisoformat(start) + timedelta(minutes=minutes)).isoformat(),
            "timeZone": "Europe/Madrid",
        },
        "iCalUID": f"{event_id}@google.com",
        "sequence": 0,
        **extra,
    }


def _listing(items, sync_token):
    return {
        "kind": "calendar#events",
        "etag": '"p33g9hkd2ke8so0o"',
        "summary": "equipo@example.com",
        "updated": "2026-11-30T10:00:00.000Z",
        "timeZone": "Europe/Madrid",
        "accessRole": "owner",
        "defaultReminders": [],
        "nextSyncToken": sync_token,
        "items": items,
    }


def test_a_marked_event_becomes_a_webinar_and_changes_follow_with_the_sync_token(
    google, django_capture_on_commit_callbacks
):
    def sync():
        with django_capture_on_commit_callbacks(execute=True):
            return gcal.sync_calendar()

    marked = _event(
        "ev1abc", "[Webinar] Agentes con IA", "2026-12-12T18:00:00+01:00", description="Demo"
    )
    other = _event("ev2abc", "Reunión de equipo", "2026-12-12T10:00:00+01:00")
    past = _event("ev3abc", "[webinar] Ya pasó", "2026-11-01T18:00:00+01:00")
    answers = {
        None: _listing([marked, other, past], "CPDAlvWDx70CEPDAlvWDx70CGAU="),
        "CPDAlvWDx70CEPDAlvWDx70CGAU=": _listing(
            [
                {
                    **marked,
                    "start": {"dateTime": "2026-12-12T19:00:00+01:00", "timeZone": "Europe/Madrid"},
                    "end": {"dateTime": "2026-12-12T20:00:00+01:00", "timeZone": "Europe/Madrid"},
                }
            ],
            "token-2",
        ),
        "token-2": _listing(
            [{"kind": "calendar#event", "id": "ev1abc", "status": "cancelled"}], "token-3"
        ),
    }
    google.expect_request(EVENTS, method="GET").respond_with_handler(
        lambda request: Response(
            json.dumps(answers[request.args.get("syncToken")]), content_type="application/json"
        )
    )
    google.expect_request(f"{EVENTS}/ev1abc", method="PATCH").respond_with_handler(_echo())
    google.expect_request(f"{EVENTS}/ev1abc", method="DELETE").respond_with_data("", status=410)

    assert sync() == 3

    webinar = Webinar.objects.get()
    assert (webinar.title, webinar.status, webinar.description) == (
        "Agentes con IA",
        "draft",
        "Demo",
    )
    assert webinar.starts_at == datetime(2026, 12, 12, 17, 0, tzinfo=UTC)
    assert (webinar.duration_minutes, webinar.time_zone) == (90, "Europe/Madrid")
    assert webinar.calendar_event_id == "ev1abc"
    assert CalendarSync.objects.get().sync_token == "CPDAlvWDx70CEPDAlvWDx70CGAU="
    first = next(req for req in _calls(google, "GET"))
    assert first.args["showDeleted"] == "true"
    # The new webinar tagged its event as ours (one patch, by the event's own id).
    [tag] = _calls(google, "PATCH")
    assert json.loads(tag.get_data())["extendedProperties"]["private"]["courseopsWebinar"] == str(
        webinar.uid
    )

    sync()  # moved an hour later there
    webinar.refresh_from_db()
    assert webinar.starts_at == datetime(2026, 12, 12, 18, 0, tzinfo=UTC)
    assert webinar.duration_minutes == 60
    assert _calls(google, "GET")[-1].args["syncToken"] == "CPDAlvWDx70CEPDAlvWDx70CGAU="

    sync()  # deleted there
    webinar.refresh_from_db()
    assert webinar.status == "cancelled"
    assert Webinar.objects.count() == 1
    assert _calls(google, "DELETE") == []  # gone there already: not deleted again


def test_one_event_that_cannot_be_applied_does_not_stop_the_others_and_is_read_again(google):
    broken = _event("ev4bad", "[webinar] Zona rara", "2026-12-14T18:00:00+01:00")
    broken["start"]["timeZone"] = "Marte/Olympus"
    good = _event("ev5ok", "[webinar] Agentes", "2026-12-15T18:00:00+01:00")
    fixed = {**broken, "start": {**broken["start"], "timeZone": "Europe/Madrid"}}
    answers = {None: _listing([broken, good], "token-next")}
    google.expect_request(EVENTS, method="GET").respond_with_handler(
        lambda request: Response(
            json.dumps(answers[request.args.get("syncToken")]), content_type="application/json"
        )
    )
    google.expect_request(f"{EVENTS}/ev5ok", method="PATCH").respond_with_handler(_echo())
    google.expect_request(f"{EVENTS}/ev4bad", method="PATCH").respond_with_handler(_echo())

    assert gcal.sync_calendar() == 2

    assert list(Webinar.objects.values_list("calendar_event_id", flat=True)) == ["ev5ok"]
    state = CalendarSync.objects.get()
    # The token that would skip the failed change is not kept.
    assert state.sync_token == ""
    assert "ev4bad" in state.last_error

    answers[None] = _listing([fixed, good], "token-next")  # read again, now applicable
    assert gcal.sync_calendar() == 2

    assert sorted(Webinar.objects.values_list("calendar_event_id", flat=True)) == [
        "ev4bad",
        "ev5ok",
    ]
    state.refresh_from_db()
    assert (state.sync_token, state.last_error) == ("token-next", "")


def test_an_expired_sync_token_reads_the_calendar_again_without_doubling(google):
    CalendarSync.objects.create(calendar_id="primary", sync_token="caducado")
    marked = _event("ev9xyz", "[webinar] Prompts", "2026-12-20T18:00:00+01:00")

    def reply(request):
        if request.args.get("syncToken"):
            gone = {
                "error": {
                    "code": 410,
                    "message": "Sync token is no longer valid, a full sync is required.",
                    "errors": [{"domain": "global", "reason": "fullSyncRequired"}],
                }
            }
            return Response(json.dumps(gone), status=410, content_type="application/json")
        return Response(json.dumps(_listing([marked], "fresh")), content_type="application/json")

    google.expect_request(EVENTS, method="GET").respond_with_handler(reply)
    google.expect_request(f"{EVENTS}/ev9xyz", method="PATCH").respond_with_handler(_echo())

    gcal.sync_calendar()
    CalendarSync.objects.update(sync_token="caducado")
    gcal.sync_calendar()

    assert Webinar.objects.filter(calendar_event_id="ev9xyz").count() == 1
    assert CalendarSync.objects.get().sync_token == "fresh"
    assert [bool(req.args.get("syncToken")) for req in _calls(google, "GET")] == [
        True,
        False,
        True,
        False,
    ]


def _notify(client, *, channel, token, number="2", state="exists"):
    return client.post(
        "/webhooks/google_calendar/",
        data=b"",
        content_type="application/json",
        headers={
            "X-Goog-Channel-ID": channel,
            "X-Goog-Channel-Token": token,
            "X-Goog-Channel-Expiration": "Tue, 08 Dec 2026 12:00:00 GMT",
            "X-Goog-Resource-ID": "ret08u3rv24htgh289g",
            "X-Goog-Resource-URI": "https://www.googleapis.com/calendar/v3/calendars/primary/events",
            "X-Goog-Resource-State": state,
            "X-Goog-Message-Number": number,
        },
    )


def test_a_push_channel_opens_with_a_public_url_and_only_its_token_gets_through(
    google, settings, client, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://ops.example.com"
    settings.GOOGLE_CALENDAR_CHANNEL_TOKEN = TOKEN
    google.expect_request(f"{EVENTS}/watch", method="POST").respond_with_handler(
        lambda request: Response(
            json.dumps(
                {
                    "kind": "api#channel",
                    "id": json.loads(request.get_data())["id"],
                    "resourceId": "ret08u3rv24htgh289g",
                    "resourceUri": "https://www.googleapis.com/calendar/v3/calendars/primary/events?alt=json",
                    "token": TOKEN,
                    "expiration": str(int((NOW + timedelta(days=7)).timestamp() * 1000)),
                }
            ),
            content_type="application/json",
        )
    )
    google.expect_request(EVENTS, method="GET").respond_with_json(_listing([], "t1"))

    state = gcal.ensure_channel()

    [watch] = _calls(google, "POST")
    sent = json.loads(watch.get_data())
    assert sent["address"] == "https://ops.example.com/webhooks/google_calendar/"
    assert (sent["type"], sent["token"]) == ("web_hook", TOKEN)
    assert state.channel_expires_at == NOW + timedelta(days=7)
    assert gcal.ensure_channel().channel_id == state.channel_id  # still fresh: not reopened
    assert len(_calls(google, "POST")) == 1

    assert _notify(client, channel=state.channel_id, token="otro").status_code == 401
    assert _notify(client, channel="canal-ajeno", token=TOKEN).status_code == 401
    assert WebhookEvent.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        assert _notify(client, channel=state.channel_id, token=TOKEN).status_code == 200
    assert WebhookEvent.objects.get().event_type == "exists"
    assert len(_calls(google, "GET")) == 1  # the notification ran the sync
    assert CalendarSync.objects.get().sync_token == "t1"


def test_without_a_channel_token_every_notification_is_refused(google, client, settings):
    settings.GOOGLE_CALENDAR_CHANNEL_TOKEN = ""
    CalendarSync.objects.create(calendar_id="primary", channel_id="c1")
    assert _notify(client, channel="c1", token="").status_code == 403
    assert gcal.ensure_channel() is None


@pytest.mark.django_db(transaction=True)
def test_a_renewed_channel_is_saved_before_the_old_one_is_stopped(google, settings):
    settings.SITE_URL = "https://ops.example.com"
    settings.GOOGLE_CALENDAR_CHANNEL_TOKEN = TOKEN
    CalendarSync.objects.create(
        calendar_id="primary",
        channel_id="canal-viejo",
        channel_resource_id="ret-viejo",
        channel_expires_at=NOW + timedelta(hours=1),  # due for renewal
    )
    google.expect_request(f"{EVENTS}/watch", method="POST").respond_with_handler(
        lambda request: Response(
            json.dumps(
                {
                    "kind": "api#channel",
                    "id": json.loads(request.get_data())["id"],
                    "resourceId": "ret-nuevo",
                    "expiration": str(int((NOW + timedelta(days=7)).timestamp() * 1000)),
                }
            ),
            content_type="application/json",
        )
    )
    known_when_stopped = []

    def stop(request):
        # What a notice arriving right now would be checked against.
        known_when_stopped.append(CalendarSync.objects.get().channel_id)
        return Response("", status=204)

    google.expect_request("/calendar/v3/channels/stop", method="POST").respond_with_handler(stop)

    state = gcal.ensure_channel()

    assert json.loads(_calls(google, "POST")[-1].get_data()) == {
        "id": "canal-viejo",
        "resourceId": "ret-viejo",
    }
    assert known_when_stopped == [state.channel_id]
    assert state.channel_id != "canal-viejo"
