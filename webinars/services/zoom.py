"""What Zoom tells us after a meeting, from its webhooks or pulled from its REST API when
the webhooks went silent: participants' join/leave pairs and the cloud recording."""

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from webinars.meetings import get_provider
from webinars.models import Recording, Webinar
from webinars.services.attendance import (
    participant_key,
    refresh_minutes,
    session_joined,
    session_left,
    session_reported,
)
from webinars.services.recordings import recording_from_zoom


class ParticipantNotJoinedYet(Exception):
    """A leave arrived before its join (Zoom does not keep order): retry the event later."""


def webinar_for_meeting(meeting_id):
    if meeting_id in (None, ""):
        return None
    return Webinar.objects.filter(
        meeting_provider="zoom", meeting_external_id=str(meeting_id)
    ).first()


def _moment(value):
    if not value:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


def participant_event(*, meeting, left):
    """`meeting.participant_joined/left` (or `webinar.*`): `meeting` is payload.object."""
    webinar = webinar_for_meeting(meeting.get("id"))
    participant = meeting.get("participant") or {}
    if webinar is None or not participant:
        return False  # another meeting on the same Zoom account
    email = (participant.get("email") or "").strip()
    key = participant_key(
        email=email,
        participant_id=participant.get("id") or participant.get("participant_uuid") or "",
        name=participant.get("user_name") or "",
    )
    if left:
        leave = _moment(participant.get("leave_time"))
        if leave is None:
            return False
        if not session_left(webinar=webinar, key=key, left_at=leave):
            raise ParticipantNotJoinedYet(f"{key} left before joining; retrying later.")
        return True
    joined = _moment(participant.get("join_time"))
    if joined is None:
        return False
    session_joined(
        webinar=webinar,
        key=key,
        email=email,
        name=participant.get("user_name") or "",
        joined_at=joined,
    )
    return True


def reconcile_participants(*, webinar):
    """Store every pair of Zoom's participants report; returns the registrations seen."""
    rows = get_provider("zoom").participants(webinar.meeting_external_id)
    seen = {}
    for row in rows:
        joined = _moment(row.get("join_time"))
        if joined is None:
            continue
        email = (row.get("user_email") or "").strip()
        registration = session_reported(
            webinar=webinar,
            key=participant_key(
                email=email, participant_id=row.get("id") or "", name=row.get("name") or ""
            ),
            email=email,
            name=row.get("name") or "",
            joined_at=joined,
            left_at=_moment(row.get("leave_time")),
        )
        if registration is not None:
            seen[registration.pk] = registration
    for registration in seen.values():
        refresh_minutes(registration=registration)
    return list(seen)


def reconcile_recording(*, webinar):
    """Pull the cloud recording if no webhook brought it."""
    if Recording.objects.filter(webinar=webinar).exists():
        return None
    data = get_provider("zoom").recordings(webinar.meeting_external_id)
    if not data or not data.get("recording_files"):
        return None
    return recording_from_zoom(
        webinar=webinar, meeting=data, download_token=data.get("download_access_token", "")
    )


def reconcile_webinar(*, webinar):
    """Participants (while attendance is open) and the recording of a finished webinar."""
    seen = []
    if webinar.attendance_settled_at is None:
        seen = reconcile_participants(webinar=webinar)
    return {"registrations": seen, "recording": bool(reconcile_recording(webinar=webinar))}


def webinars_to_reconcile(*, now=None, days=3):
    """Finished Zoom webinars of the last days whose attendance or recording is missing."""
    now = now or timezone.now()
    return list(
        Webinar.objects.filter(
            meeting_provider="zoom",
            status=Webinar.Status.FINISHED,
            starts_at__gte=now - timedelta(days=days),
        )
        .exclude(attendance_settled_at__isnull=False, recording__isnull=False)
        .values_list("pk", flat=True)
    )
