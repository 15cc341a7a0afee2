"""Calendar invitations (RFC 5546 iTIP over RFC 5545): one stable UID per webinar,
SEQUENCE bumped on every change. Every time is written in UTC ("...Z"), whatever zone
the datetime in hand carries (a rescheduled webinar's is the webinar's own zone), so no
TZID ever needs a VTIMEZONE the file would have to carry."""

from datetime import UTC
from email.utils import parseaddr
from urllib.parse import urlencode

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//CourseOps//Webinars//ES"


def _calendar(method=None):
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    if method:
        calendar.add("method", method)
    return calendar


def _event(webinar, *, link, attendee=None, cancelled=False):
    event = Event()
    event.add("uid", f"webinar-{webinar.uid}@courseops")
    event.add("sequence", webinar.ics_sequence)
    event.add("dtstamp", _utc(timezone.now()))
    event.add("dtstart", _utc(webinar.starts_at))
    event.add("dtend", _utc(webinar.ends_at))
    event.add("summary", webinar.title)
    if webinar.description:
        description = f"{webinar.description}\n\n{link}" if link else webinar.description
        event.add("description", description)
    if link:
        event.add("location", link)
        event.add("url", link)
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = vCalAddress(f"mailto:{address}")
    organizer.params["cn"] = vText(name or address)
    event["organizer"] = organizer
    if attendee is not None:
        who = vCalAddress(f"mailto:{attendee.email}")
        who.params["cn"] = vText(attendee.name or attendee.email)
        who.params["role"] = vText("REQ-PARTICIPANT")
        who.params["rsvp"] = vText("FALSE")
        event.add("attendee", who, encode=0)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def invitation(webinar, registration, *, cancel=False):
    """The `.ics` a registrant's mail client turns into (or removes from) their calendar."""
    calendar = _calendar("CANCEL" if cancel else "REQUEST")
    calendar.add_component(
        _event(webinar, link=registration.link, attendee=registration, cancelled=cancel)
    )
    return calendar.to_ical()


def feed(webinars):
    """A subscribable calendar: METHOD PUBLISH, not an invitation."""
    calendar = _calendar("PUBLISH")
    calendar.add("x-wr-calname", "Webinars")
    for webinar in webinars:
        calendar.add_component(
            _event(
                webinar,
                link=webinar.meeting_url,
                cancelled=webinar.status == webinar.Status.CANCELLED,
            )
        )
    return calendar.to_ical()


def _utc(value):
    return value.astimezone(UTC)


def _stamp(value):
    return _utc(value).strftime("%Y%m%dT%H%M%SZ")


def google_link(webinar, *, link=""):
    query = {
        "action": "TEMPLATE",
        "text": webinar.title,
        "dates": f"{_stamp(webinar.starts_at)}/{_stamp(webinar.ends_at)}",
        "details": link or webinar.description[:500],
        "location": link,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def outlook_link(webinar, *, link=""):
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": webinar.title,
        "startdt": webinar.starts_at.astimezone(UTC).isoformat(),
        "enddt": webinar.ends_at.astimezone(UTC).isoformat(),
        "body": link or webinar.description[:500],
        "location": link,
    }
    return "https://outlook.live.com/calendar/0/deeplink/compose?" + urlencode(query)
