"""A webinar's life: created as a draft, scheduled (gets its meeting link), moved,
cancelled. Vendor calls happen before the database transaction that records them."""

from datetime import UTC, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courseops.audit.services import log_action
from courseops.messaging.models import PENDING, OutboundMessage, Status
from courseops.messaging.services import cancel_message, queue_email
from courseops.reviews.held import withdraw_held
from webinars import calendar
from webinars.meetings import MeetingError, get_provider
from webinars.models import Reminder, ReminderDelivery, Webinar
from webinars.services import owed
from webinars.services.promotion import social_posts_supersede
from webinars.services.text import registrant_context
from webinars.signals import webinar_rescheduled

# The schedule; staff edit each webinar's rows in the admin.
DEFAULT_REMINDERS = [
    {"offset": timedelta(days=7), "email": True, "uses_ai_text": True},
    {"offset": timedelta(days=1), "email": True, "sms": True},
    {"offset": timedelta(hours=2), "email": True, "push": True},
    {
        "offset": timedelta(minutes=10),
        "email": True,
        "sms": True,
        "push": True,
        "include_join_link": True,
    },
]


class WebinarStateError(Exception):
    """The webinar cannot do that in its current status."""


def _calendar_follows(webinar):
    """Its event in the staff calendar follows, after commit (when a calendar is set)."""
    from webinars.tasks import push_calendar_event

    if settings.GOOGLE_CALENDAR_ID:
        transaction.on_commit(lambda: push_calendar_event.delay(webinar.pk))


def webinar_create(
    *,
    title,
    starts_at,
    time_zone,
    duration_minutes=60,
    description="",
    host=None,
    capacity=None,
    is_public=False,
    plans=(),
    language="es",
    user=None,
) -> Webinar:
    """A draft webinar with the default reminder schedule."""
    webinar = Webinar(
        title=title,
        # Stored and passed on in UTC whatever zone the caller's datetime carries: the
        # .ics, Zoom and every text convert from UTC to the zone they show.
        starts_at=starts_at.astimezone(UTC),
        time_zone=time_zone,
        duration_minutes=duration_minutes,
        description=description,
        host=host,
        capacity=capacity,
        is_public=is_public,
        language=language,
    )
    webinar.full_clean()
    with transaction.atomic():
        webinar.save()
        webinar.plans.set(plans)
        Reminder.objects.bulk_create(
            [Reminder(webinar=webinar, **values) for values in DEFAULT_REMINDERS]
        )
        log_action(webinar, "webinars.webinar.created", user=user)
        _calendar_follows(webinar)
    return webinar


def webinar_schedule(*, webinar, user=None) -> Webinar:
    """Get the meeting link and open registrations; the 7-day text is drafted on commit."""
    if webinar.status != Webinar.Status.DRAFT:
        raise WebinarStateError(_("Solo se programa un webinar en borrador."))
    provider = get_provider()
    try:
        meeting = provider.create(webinar)  # network: outside any transaction
    except MeetingError as exc:
        Webinar.objects.filter(pk=webinar.pk).update(meeting_error=str(exc)[:2000])
        raise
    with transaction.atomic():
        updated = Webinar.objects.filter(pk=webinar.pk, status=Webinar.Status.DRAFT).update(
            status=Webinar.Status.SCHEDULED,
            meeting_provider=provider.name,
            meeting_url=meeting.url,
            meeting_external_id=meeting.external_id,
            meeting_error="",
            scheduled_at=timezone.now(),
            updated_at=timezone.now(),
        )
        if not updated:
            raise WebinarStateError(_("El webinar ya se programó."))
        webinar.refresh_from_db()
        log_action(
            webinar,
            "webinars.webinar.scheduled",
            user=user,
            data={"provider": provider.name, "url": meeting.url},
        )
        owed.reminder_text_owed(webinar.pk)
        owed.social_posts_owed(webinar.pk)
        _calendar_follows(webinar)
    return webinar


def _withdraw_waiting_reminders(webinar, *, user, reason):
    """Cancel reminder messages still waiting in the outbox (an SMS moved past quiet
    hours) or held for review (their drafts leave the review queue); returns how many."""
    deliveries = list(
        ReminderDelivery.objects.filter(
            reminder__webinar=webinar, status=ReminderDelivery.Status.QUEUED
        ).values_list("pk", "detail")
    )
    ids = {message_id for _pk, detail in deliveries for message_id in detail.get("messages", [])}
    waiting = {
        message.pk: message
        for message in OutboundMessage.objects.filter(
            pk__in=ids, status__in=(*PENDING, Status.HELD)
        ).only("pk", "status")
    }
    # A waiting message carries the old time in its text: it never goes out. When nothing
    # of a reminder left yet, the reminder is forgotten and follows the new time; when
    # part of it went (the email), the rest is dropped rather than the email sent again.
    held = [message for message in waiting.values() if message.status == Status.HELD]
    for message in waiting.values():
        if message.status != Status.HELD:
            cancel_message(message=message, user=user)
    withdraw_held(messages=held, reason=reason, user=user)
    forgotten = [
        pk
        for pk, detail in deliveries
        if detail.get("messages") and all(i in waiting for i in detail["messages"])
    ]
    ReminderDelivery.objects.filter(pk__in=forgotten).delete()
    return len(waiting)


def _notify_registrants(webinar, *, kind, cancel):
    template = f"webinars/{kind}"
    for registration in webinar.registrations.filter(cancelled_at__isnull=True).select_related(
        "webinar"
    ):
        queue_email(
            to=registration.email,
            idempotency_key=f"webinars.{kind}.{registration.pk}.{webinar.ics_sequence}",
            template=template,
            context=registrant_context(registration, webinar=webinar),
            language=registration.language,
            related=registration,
            attachments=[
                (
                    "webinar.ics",
                    calendar.invitation(webinar, registration, cancel=cancel),
                    f"text/calendar; method={'CANCEL' if cancel else 'REQUEST'}",
                )
            ],
        )


def webinar_reschedule(
    *, webinar, starts_at, duration_minutes=None, resend_reminders=False, user=None
) -> Webinar:
    """Move the webinar: registrants get an updated invitation (SEQUENCE+1); reminders
    not sent yet follow the new time; sent ones are not resent unless `resend_reminders`."""
    if webinar.status not in (Webinar.Status.DRAFT, Webinar.Status.SCHEDULED):
        raise WebinarStateError(_("Solo se mueve un webinar en borrador o programado."))
    previous = webinar.starts_at
    webinar.starts_at = starts_at = starts_at.astimezone(UTC)
    if duration_minutes:
        webinar.duration_minutes = duration_minutes
    if webinar.meeting_external_id:
        get_provider(webinar.meeting_provider).update(webinar)  # before we commit to it
    with transaction.atomic():
        webinar.ics_sequence += 1
        webinar.save(update_fields=["starts_at", "duration_minutes", "ics_sequence", "updated_at"])
        withdrawn = _withdraw_waiting_reminders(
            webinar, user=user, reason=_("El webinar cambió de fecha.")
        )
        if resend_reminders:
            ReminderDelivery.objects.filter(reminder__webinar=webinar).delete()
        if webinar.status == Webinar.Status.SCHEDULED:
            _notify_registrants(webinar, kind="update", cancel=False)
        superseded = social_posts_supersede(webinar=webinar, user=user)
        webinar_rescheduled.send(
            sender=Webinar, webinar=webinar, previous=previous, superseded_drafts=superseded
        )
        if superseded and webinar.status == Webinar.Status.SCHEDULED:
            owed.social_posts_owed(webinar.pk)
        log_action(
            webinar,
            "webinars.webinar.rescheduled",
            user=user,
            data={
                "from": previous.isoformat(),
                "to": starts_at.isoformat(),
                "withdrawn_reminders": withdrawn,
                "resend_reminders": resend_reminders,
            },
        )
        _calendar_follows(webinar)
    return webinar


def webinar_cancel(*, webinar, user=None) -> Webinar:
    """Cancel: registrants get a calendar CANCEL and a notice; waiting reminders stop."""
    if webinar.status in (Webinar.Status.CANCELLED, Webinar.Status.FINISHED):
        raise WebinarStateError(_("Este webinar ya terminó o está cancelado."))
    error = ""
    if webinar.meeting_external_id:
        try:
            get_provider(webinar.meeting_provider).delete(webinar)
        except MeetingError as exc:  # the cancellation must still reach the registrants
            error = str(exc)[:2000]
    with transaction.atomic():
        was_scheduled = webinar.status == Webinar.Status.SCHEDULED
        webinar.status = Webinar.Status.CANCELLED
        webinar.ics_sequence += 1
        webinar.meeting_error = error
        webinar.save(update_fields=["status", "ics_sequence", "meeting_error", "updated_at"])
        _withdraw_waiting_reminders(webinar, user=user, reason=_("El webinar se canceló."))
        if was_scheduled:
            _notify_registrants(webinar, kind="cancellation", cancel=True)
        log_action(webinar, "webinars.webinar.cancelled", user=user, data={"provider_error": error})
        _calendar_follows(webinar)
    return webinar


def upcoming_for_plan(plan, *, now=None):
    now = now or timezone.now()
    return Webinar.objects.filter(
        status=Webinar.Status.SCHEDULED, starts_at__gt=now, plans=plan
    ).distinct()


def webinars_advance_status(*, now=None) -> tuple[list[int], list[int]]:
    """Move scheduled webinars to live when they start and to finished when they end.

    Only webinars that have started and are not finished are read (a handful at any
    moment, whatever the table's size); each move is one conditional UPDATE that
    re-checks the status it leaves, so running twice moves nothing twice. Returns (went
    live, finished) ids.
    """
    now = now or timezone.now()
    Status = Webinar.Status
    started = Webinar.objects.filter(
        status__in=[Status.SCHEDULED, Status.LIVE], starts_at__lte=now
    ).only("pk", "starts_at", "duration_minutes", "status", "title")
    ended = [webinar for webinar in started if webinar.ends_at <= now]
    live = [
        webinar
        for webinar in started
        if webinar.ends_at > now and webinar.status == Status.SCHEDULED
    ]
    moves = [
        (ended, [Status.SCHEDULED, Status.LIVE], Status.FINISHED),
        (live, [Status.SCHEDULED], Status.LIVE),
    ]
    changed = {Status.LIVE: [], Status.FINISHED: []}
    for webinars, sources, target in moves:
        for webinar in webinars:
            if Webinar.objects.filter(pk=webinar.pk, status__in=sources).update(status=target):
                log_action(webinar, f"webinars.webinar.{target}", data={"at": now.isoformat()})
                changed[target].append(webinar.pk)
    return changed[Status.LIVE], changed[Status.FINISHED]
