"""The staff's Google Calendar and the webinars, both ways, through Google's official client.

- Out: a webinar writes its event (inserted with an id of our own, "cow" + its uid, so a
  retry whose first answer was lost gets 409 and updates instead of making a second),
  updates it when it moves and deletes it when cancelled. A digest of what was written
  skips calls that would change nothing, which also stops the sync below from echoing.
- In: `events.list` with the saved sync token returns only what changed; a 410 says the
  token expired, and the calendar is read whole again (known events are matched by id, so
  nothing doubles). A new event whose title starts with GOOGLE_CALENDAR_MARKER becomes a
  draft webinar; a linked event moved or cancelled there moves or cancels its webinar.
- Push: with a public https SITE_URL and GOOGLE_CALENDAR_CHANNEL_TOKEN, a channel
  (`events.watch`) makes Google post to the webhook inbox, which checks the channel's id
  and token and runs the sync; the periodic sync runs anyway and renews the channel.
https://developers.google.com/workspace/calendar/api/guides/sync and .../push"""

import hashlib
import json
import logging
import uuid
from datetime import UTC, datetime, timedelta

import httplib2
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from google.auth.exceptions import RefreshError, TransportError
from googleapiclient.errors import HttpError

from courseops.audit.services import log_action
from courseops.core import google
from webinars.models import CalendarSync, Webinar
from webinars.services.webinars import (
    WebinarStateError,
    webinar_cancel,
    webinar_create,
    webinar_reschedule,
)

logger = logging.getLogger(__name__)
SCOPES = ["https://www.googleapis.com/auth/calendar.events"]
ERRORS = (HttpError, RefreshError, TransportError, httplib2.HttpLib2Error, OSError)
PRIVATE_KEY = "courseopsWebinar"
CANCELLED_DIGEST = "cancelled"
CHANNEL_TTL = timedelta(days=7)
CHANNEL_RENEW_BEFORE = timedelta(days=1)
WEBHOOK_PATH = "/webhooks/google_calendar/"


class CalendarError(Exception):
    pass


def configured():
    return bool(settings.GOOGLE_CALENDAR_ID) and google.configured()


def _api():
    return google.service("calendar", "v3", scopes=SCOPES)


def _calendar_id():
    return settings.GOOGLE_CALENDAR_ID


# --- Out: webinar -> event ---------------------------------------------------------------


def event_body(webinar):
    def moment(value):
        return {"dateTime": value.astimezone(webinar.tz).isoformat(), "timeZone": webinar.time_zone}

    return {
        "summary": f"{settings.GOOGLE_CALENDAR_MARKER} {webinar.title}".strip(),
        "description": webinar.description,
        "location": webinar.meeting_url,
        "start": moment(webinar.starts_at),
        "end": moment(webinar.ends_at),
        "extendedProperties": {"private": {PRIVATE_KEY: str(webinar.uid)}},
    }


def _digest(body):
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def push_event(*, webinar):
    """Write the webinar's event (insert, update or delete) when it changed since the last
    write; errors are kept on the webinar and the periodic sync tries again."""
    if not configured():
        return
    try:
        if webinar.status == Webinar.Status.CANCELLED:
            _delete(webinar)
        else:
            _write(webinar)
    except ERRORS as exc:
        message = _("Google Calendar: %(error)s") % {"error": exc}
        Webinar.objects.filter(pk=webinar.pk).update(calendar_error=message[:2000])
        logger.warning("webinars.calendar_push_failed", extra={"webinar": webinar.pk})


def _write(webinar):
    body = event_body(webinar)
    digest = _digest(body)
    if digest == webinar.calendar_pushed:
        return
    events = _api().events()
    event_id = webinar.calendar_event_id or f"cow{webinar.uid.hex}"
    if webinar.calendar_event_id:
        events.patch(calendarId=_calendar_id(), eventId=event_id, body=body).execute()
    else:
        try:
            events.insert(calendarId=_calendar_id(), body={**body, "id": event_id}).execute()
        except HttpError as exc:
            if google.error_status(exc) != 409:  # 409: made by an attempt that lost its answer
                raise
            events.patch(calendarId=_calendar_id(), eventId=event_id, body=body).execute()
    Webinar.objects.filter(pk=webinar.pk).update(
        calendar_event_id=event_id, calendar_pushed=digest, calendar_error=""
    )


def _delete(webinar):
    if not webinar.calendar_event_id or webinar.calendar_pushed == CANCELLED_DIGEST:
        return
    try:
        _api().events().delete(
            calendarId=_calendar_id(), eventId=webinar.calendar_event_id
        ).execute()
    except HttpError as exc:
        if google.error_status(exc) not in (404, 410):  # already gone
            raise
    Webinar.objects.filter(pk=webinar.pk).update(
        calendar_pushed=CANCELLED_DIGEST, calendar_error=""
    )


# --- In: events -> webinars ----------------------------------------------------------------


def _state():
    state, _created = CalendarSync.objects.get_or_create(calendar_id=_calendar_id())
    return state


def sync_calendar(*, now=None):
    """Apply what changed in the calendar since the last sync; returns the events read."""
    if not configured():
        return 0
    now = now or timezone.now()
    state = _state()
    try:
        events, token = _changed_events(state.sync_token)
    except HttpError as exc:
        if google.error_status(exc) != 410 or not state.sync_token:
            return _failed(state, exc, now)
        logger.info("webinars.calendar_full_resync", extra={"calendar": state.calendar_id})
        try:
            events, token = _changed_events("")  # the token expired: read it all again
        except ERRORS as again:
            return _failed(state, again, now)
    except ERRORS as exc:
        return _failed(state, exc, now)
    problems = []
    for event in events:
        try:
            # All of an event's change or none (a cancel marks the webinar, then cancels it).
            with transaction.atomic():
                _apply(event, now)
        except Exception as exc:  # one event's trouble does not hold back the others
            logger.exception("webinars.calendar_event_failed", extra={"event": event.get("id")})
            problems.append(
                _("evento %(event)s: %(error)s") % {"event": event.get("id"), "error": exc}
            )
    last_error = (
        _("Google Calendar: %(error)s") % {"error": "; ".join(problems)} if problems else ""
    )
    # The token moves on only once every change it covers is applied: with one that failed
    # kept, the next sync reads those changes again (applying one twice changes nothing).
    CalendarSync.objects.filter(pk=state.pk).update(
        sync_token=state.sync_token if problems else token,
        last_synced_at=now,
        last_error=last_error[:2000],
    )
    return len(events)


def _failed(state, exc, now):
    message = _("Google Calendar: %(error)s") % {"error": exc}
    CalendarSync.objects.filter(pk=state.pk).update(last_error=message[:2000], last_synced_at=now)
    return 0


def _changed_events(token):
    events, page = [], None
    api = _api()
    while True:
        params = {"calendarId": _calendar_id(), "showDeleted": True, "maxResults": 250}
        if token:
            params["syncToken"] = token
        if page:
            params["pageToken"] = page
        answer = api.events().list(**params).execute()
        events += answer.get("items", [])
        page = answer.get("nextPageToken")
        if not page:
            return events, answer["nextSyncToken"]


def _when(moment):
    if not moment or "dateTime" not in moment:
        return None  # an all-day event is not a webinar
    return datetime.fromisoformat(moment["dateTime"].replace("Z", "+00:00")).astimezone(UTC)


def _linked_webinar(event):
    webinar = Webinar.objects.filter(calendar_event_id=event["id"]).first()
    uid = ((event.get("extendedProperties") or {}).get("private") or {}).get(PRIVATE_KEY)
    if webinar is None and uid:
        try:
            webinar = Webinar.objects.filter(uid=uuid.UUID(uid)).first()
        except ValueError:
            return None
    return webinar


def _apply(event, now):
    webinar = _linked_webinar(event)
    if event.get("status") == "cancelled":
        if webinar is not None and webinar.status in (
            Webinar.Status.DRAFT,
            Webinar.Status.SCHEDULED,
        ):
            Webinar.objects.filter(pk=webinar.pk).update(calendar_pushed=CANCELLED_DIGEST)
            webinar.calendar_pushed = CANCELLED_DIGEST  # deleted there: nothing to delete
            webinar_cancel(webinar=webinar)
        return
    starts_at, ends_at = _when(event.get("start")), _when(event.get("end"))
    if starts_at is None or ends_at is None or ends_at <= starts_at:
        return
    minutes = max(1, min(int((ends_at - starts_at).total_seconds() // 60), 32767))
    if webinar is None:
        _create_from(event, starts_at, minutes, now)
    elif webinar.status in (Webinar.Status.DRAFT, Webinar.Status.SCHEDULED) and (
        webinar.starts_at != starts_at or webinar.duration_minutes != minutes
    ):
        try:
            webinar_reschedule(webinar=webinar, starts_at=starts_at, duration_minutes=minutes)
        except WebinarStateError:
            return


def _create_from(event, starts_at, minutes, now):
    marker = settings.GOOGLE_CALENDAR_MARKER
    summary = str(event.get("summary") or "")
    if not marker or not summary.lower().startswith(marker.lower()) or starts_at < now:
        return
    title = summary[len(marker) :].strip()[:200] or _("Webinar")
    time_zone = (event.get("start") or {}).get("timeZone") or settings.TIME_ZONE
    try:
        with transaction.atomic():
            webinar = webinar_create(
                title=title,
                starts_at=starts_at,
                time_zone=time_zone,
                duration_minutes=minutes,
                description=str(event.get("description") or ""),
            )
            # Unique: a second sync running at once rolls its copy back here.
            Webinar.objects.filter(pk=webinar.pk).update(calendar_event_id=event["id"])
            log_action(
                webinar, "webinars.webinar.created_from_calendar", data={"event": event["id"]}
            )
    except IntegrityError:
        return


# --- Push channel --------------------------------------------------------------------------


def push_possible():
    return settings.SITE_URL.startswith("https://") and bool(settings.GOOGLE_CALENDAR_CHANNEL_TOKEN)


def ensure_channel(*, now=None):
    """Open (or renew before it expires) the push channel; the old one is stopped once
    the new one is saved."""
    if not (configured() and push_possible()):
        return None
    now = now or timezone.now()
    state = _state()
    if state.channel_expires_at and state.channel_expires_at > now + CHANNEL_RENEW_BEFORE:
        return state
    api = _api()
    body = {
        "id": uuid.uuid4().hex,
        "type": "web_hook",
        "address": settings.SITE_URL.rstrip("/") + WEBHOOK_PATH,
        "token": settings.GOOGLE_CALENDAR_CHANNEL_TOKEN,
        "params": {"ttl": str(int(CHANNEL_TTL.total_seconds()))},
    }
    try:
        answer = api.events().watch(calendarId=_calendar_id(), body=body).execute()
    except ERRORS as exc:
        _failed(state, exc, now)
        return None
    # The new channel is saved before the old one is stopped: if the save fails, the old
    # channel still delivers notices we know (stopped first, every notice got a 401).
    old = {"id": state.channel_id, "resourceId": state.channel_resource_id}
    expires = answer.get("expiration")
    state.channel_id = answer["id"]
    state.channel_resource_id = answer.get("resourceId", "")
    state.channel_expires_at = (
        datetime.fromtimestamp(int(expires) / 1000, tz=UTC) if expires else now + CHANNEL_TTL
    )
    state.save(update_fields=["channel_id", "channel_resource_id", "channel_expires_at"])
    if old["id"]:
        try:
            api.channels().stop(body=old).execute()
        except ERRORS:
            logger.info("webinars.calendar_channel_stop_failed", extra={"channel": old["id"]})
    return state


def known_channel(channel_id):
    return (
        bool(channel_id)
        and CalendarSync.objects.filter(calendar_id=_calendar_id(), channel_id=channel_id).exists()
    )


def run_periodic(*, now=None):
    """The beat's round: renew the channel, write what changed here, read what changed there."""
    if not configured():
        return
    now = now or timezone.now()
    ensure_channel(now=now)
    for webinar in Webinar.objects.filter(starts_at__gte=now - timedelta(days=1)).exclude(
        status=Webinar.Status.FINISHED
    ):
        push_event(webinar=webinar)
    sync_calendar(now=now)
