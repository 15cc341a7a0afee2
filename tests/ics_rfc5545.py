"""An independent check that an `.ics` is valid RFC 5545, with vobject (not icalendar,
which wrote it): it parses with validation, and every date-time is UTC ("...Z") or names
a TZID whose VTIMEZONE the same file carries (floating or orphan TZIDs fail)."""

from datetime import timedelta

import vobject

TIME_PROPERTIES = ("DTSTART", "DTEND", "DTSTAMP", "RECURRENCE-ID", "CREATED", "LAST-MODIFIED")


def parse_rfc5545(content):
    """The calendar as vobject reads it; fails the test on anything RFC 5545 forbids."""
    text = content.decode() if isinstance(content, bytes) else content
    assert text.endswith("\r\n"), "lines end in CRLF"
    assert "\n" not in text.replace("\r\n", ""), "lines end in CRLF"
    for line in text.split("\r\n"):
        assert len(line.encode()) <= 75, f"line longer than 75 octets: {line!r}"
    calendar = vobject.readOne(text, validate=True)
    assert calendar.name == "VCALENDAR"
    assert calendar.version.value == "2.0"
    assert calendar.prodid.value
    zones = {zone.tzid.value for zone in calendar.getChildren() if zone.name == "VTIMEZONE"}
    events = [child for child in calendar.getChildren() if child.name == "VEVENT"]
    assert events, "no VEVENT"
    for event in events:
        assert event.uid.value
        assert event.dtstamp.value
        for line in event.getChildren():
            if line.name not in TIME_PROPERTIES:
                continue
            original = line.params.get("X-VOBJ-ORIGINAL-TZID") or line.params.get("TZID")
            if original:
                assert original[0] in zones, f"{line.name}: TZID {original[0]} without VTIMEZONE"
            else:
                value = line.value
                assert value.tzinfo is not None, f"{line.name} is floating: {value}"
                assert value.utcoffset() == timedelta(0), f"{line.name} is not UTC"
    return calendar


def event_starts(content):
    """Each VEVENT's start, as an aware datetime."""
    return [event.dtstart.value for event in parse_rfc5545(content).vevent_list]
