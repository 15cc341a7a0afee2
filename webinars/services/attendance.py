"""Who attended and for how long: one place every source (CSV import, tracked join link,
Zoom webhooks and report) writes through, so `webinar_attended` goes out once per
registration and `webinar_missed` once per absentee, when the webinar's attendance closes.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from courseops.audit.services import log_action
from webinars.models import AttendanceSession, Registration, Webinar
from webinars.signals import webinar_attended, webinar_missed

JOIN_SALT = "webinars.join"
# The tracked join link counts as attendance from a little before the start to the end.
JOIN_EARLY = timedelta(minutes=30)


class Source:
    CSV = "csv"
    JOIN_LINK = "join_link"
    ZOOM = "zoom"


def _announce_attended(registration_id):
    registration = Registration.objects.select_related("webinar", "student").get(pk=registration_id)
    webinar_attended.send(
        sender=Registration,
        registration=registration,
        webinar=registration.webinar,
        student=registration.student,
        minutes=registration.minutes_attended,
    )


def attendance_record(*, registration, attended, minutes=None, source, user=None) -> bool:
    """Set attended (and minutes when known) for one registration; True when this is the
    first time it counts as attended (the one time `webinar_attended` is sent).

    An absence never overwrites an attendance already counted: the signal went out.
    """
    fields = {}
    if minutes is not None:
        fields["minutes_attended"] = max(int(minutes), 0)
    with transaction.atomic():
        if attended:
            Registration.objects.filter(pk=registration.pk).update(attended=True, **fields)
            first = Registration.objects.filter(
                pk=registration.pk, attended_at__isnull=True
            ).update(attended_at=timezone.now(), attendance_source=source)
        else:
            first = 0
            Registration.objects.filter(pk=registration.pk, attended_at__isnull=True).update(
                attended=False, **fields
            )
        if first:
            log_action(
                registration,
                "webinars.registration.attended",
                user=user,
                data={"source": source, "minutes": fields.get("minutes_attended")},
            )
            transaction.on_commit(lambda: _announce_attended(registration.pk))
    return bool(first)


def attendance_settle(*, webinar, user=None) -> int:
    """Close a finished webinar's attendance: whoever has not attended is absent, and
    `webinar_missed` goes out once per absentee. Returns how many absentees (0 when it was
    already settled)."""
    if webinar.status != Webinar.Status.FINISHED:
        return 0
    with transaction.atomic():
        settled = Webinar.objects.filter(pk=webinar.pk, attendance_settled_at__isnull=True).update(
            attendance_settled_at=timezone.now()
        )
        if not settled:
            return 0
        absent = webinar.registrations.filter(cancelled_at__isnull=True).exclude(attended=True)
        absent.filter(attended__isnull=True).update(attended=False)
        absentees = list(absent.select_related("student"))
        log_action(
            webinar,
            "webinars.webinar.attendance_settled",
            user=user,
            data={"absent": len(absentees)},
        )

        def announce():
            for registration in absentees:
                webinar_missed.send(
                    sender=Registration,
                    registration=registration,
                    webinar=webinar,
                    student=registration.student,
                )

        transaction.on_commit(announce)
    return len(absentees)


def settle_due_attendance(*, now=None) -> list[int]:
    """Settle finished webinars that ended `WEBINAR_ATTENDANCE_SETTLE_HOURS` ago (time for
    Zoom's reconciliation to have run). One query finds them, whatever the table's size."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.WEBINAR_ATTENDANCE_SETTLE_HOURS)
    candidates = Webinar.objects.filter(
        status=Webinar.Status.FINISHED, attendance_settled_at__isnull=True, starts_at__lte=cutoff
    )
    settled = []
    for webinar in candidates:
        if webinar.ends_at <= cutoff:
            attendance_settle(webinar=webinar)
            settled.append(webinar.pk)
    return settled


# --- Zoom join/leave pairs -----------------------------------------------------------------


def _merged_minutes(sessions):
    """Minutes in the union of closed [join, leave] intervals (overlaps count once)."""
    total, end = timedelta(0), None
    for joined, left in sorted((s.joined_at, s.left_at) for s in sessions if s.left_at):
        if end is None or joined > end:
            total += left - joined
            end = left
        elif left > end:
            total += left - end
            end = left
    return round(total.total_seconds() / 60)


def _registration_for(webinar, email):
    if not email:
        return None
    return Registration.objects.filter(webinar=webinar, email__iexact=email).first()


def participant_key(*, email, participant_id, name):
    return (email or "").strip().lower() or participant_id or name or "?"


def session_joined(*, webinar, key, email, name, joined_at):
    """Record a join; a repeat of the same join changes nothing."""
    registration = _registration_for(webinar, email)
    AttendanceSession.objects.get_or_create(
        webinar=webinar,
        participant_key=key[:255],
        joined_at=joined_at,
        defaults={"registration": registration, "email": email or "", "name": name[:200]},
    )
    if registration is not None:
        refresh_minutes(registration=registration)


def session_left(*, webinar, key, left_at) -> bool:
    """Close the participant's open session that started before `left_at`; False when
    there is none yet (the join has not arrived: the caller retries later)."""
    sessions = AttendanceSession.objects.filter(webinar=webinar, participant_key=key[:255])
    if sessions.filter(left_at=left_at).exists():
        return True  # this leave was already recorded
    open_session = (
        sessions.filter(left_at__isnull=True, joined_at__lte=left_at).order_by("-joined_at").first()
    )
    if open_session is None:
        return False
    AttendanceSession.objects.filter(pk=open_session.pk).update(left_at=left_at)
    if open_session.registration_id:
        refresh_minutes(registration=open_session.registration)
    return True


def session_reported(*, webinar, key, email, name, joined_at, left_at):
    """One row of Zoom's participants report: a complete pair, stored once."""
    registration = _registration_for(webinar, email)
    session, created = AttendanceSession.objects.get_or_create(
        webinar=webinar,
        participant_key=key[:255],
        joined_at=joined_at,
        defaults={
            "registration": registration,
            "email": email or "",
            "name": name[:200],
            "left_at": left_at,
        },
    )
    if not created and session.left_at is None and left_at:
        AttendanceSession.objects.filter(pk=session.pk).update(left_at=left_at)
    return registration


def refresh_minutes(*, registration):
    """Attended, with the minutes of its Zoom sessions so far."""
    sessions = AttendanceSession.objects.filter(registration=registration)
    attendance_record(
        registration=registration,
        attended=True,
        minutes=_merged_minutes(sessions),
        source=Source.ZOOM,
    )


# --- The tracked join link -------------------------------------------------------------


def join_url(registration) -> str:
    """The personal link in emails: it counts the click, then sends to the meeting."""
    # No timestamp: the same person always gets the same link, in every email.
    token = signing.Signer(salt=JOIN_SALT).sign(str(registration.pk))
    return f"{settings.SITE_URL}{reverse('webinars:join', args=[token])}"


def on_air(webinar, now):
    """While joining counts as attending: from `JOIN_EARLY` before the start to the end."""
    return (
        webinar.status in (Webinar.Status.SCHEDULED, Webinar.Status.LIVE)
        and webinar.starts_at - JOIN_EARLY <= now <= webinar.ends_at
    )


def join_follow(*, token, count=True, now=None):
    """The meeting link behind a tracked join token (None when invalid), counting the click
    (`count`) as attendance while the webinar is on."""
    try:
        pk = int(signing.Signer(salt=JOIN_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    registration = Registration.objects.select_related("webinar").filter(pk=pk).first()
    if registration is None or registration.cancelled_at is not None:
        return None
    if count and on_air(registration.webinar, now or timezone.now()):
        attendance_record(registration=registration, attended=True, source=Source.JOIN_LINK)
    return registration.link or None
