"""Zoom's events in the webhook inbox: attendance pairs and the cloud recording."""

from courseops.webhooks.registry import webhook_handler
from webinars.services import zoom
from webinars.services.recordings import recording_from_zoom


def _meeting(event):
    return (event.payload.get("payload") or {}).get("object") or {}


@webhook_handler("zoom", "meeting.participant_joined")
@webhook_handler("zoom", "webinar.participant_joined")
def participant_joined(event):
    zoom.participant_event(meeting=_meeting(event), left=False)


@webhook_handler("zoom", "meeting.participant_left")
@webhook_handler("zoom", "webinar.participant_left")
def participant_left(event):
    # A leave before its join raises: the inbox retries it once the join is in.
    zoom.participant_event(meeting=_meeting(event), left=True)


@webhook_handler("zoom", "recording.completed")
def recording_completed(event):
    meeting = _meeting(event)
    webinar = zoom.webinar_for_meeting(meeting.get("id"))
    if webinar is None:
        return  # a recording of another meeting on the Zoom account
    recording_from_zoom(
        webinar=webinar, meeting=meeting, download_token=event.payload.get("download_token", "")
    )


@webhook_handler("google_calendar", "exists")
def calendar_changed(event):
    """Something changed in the staff calendar: read the changes (the sync is idempotent).
    The channel's first message ("sync") only says it is open."""
    from webinars.services.google_calendar import sync_calendar

    sync_calendar()
