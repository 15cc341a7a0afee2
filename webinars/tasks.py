"""Thin tasks: ids in, one service call, the retry policy for transient vendor errors."""

from celery import shared_task

from courseops.ai import AIError
from courseops.core import pending
from webinars import services
from webinars.meetings import MeetingError
from webinars.models import Recording, Registration, Webinar
from webinars.services import attendance, owed, promotion, recordings, zoom

MAX_RETRIES = 5


@shared_task(name="webinars.scan_reminders", ignore_result=True)
def scan_reminders():
    services.scan_due_reminders()


@shared_task(name="webinars.advance_status", ignore_result=True)
def advance_status():
    services.webinars_advance_status()


@shared_task(name="webinars.deliver_reminder_chunk", ignore_result=True)
def deliver_reminder_chunk(delivery_ids):
    services.deliver_reminders(delivery_ids=delivery_ids)


@shared_task(bind=True, name="webinars.confirm_registration", ignore_result=True)
def confirm_registration(self, registration_id):
    registration = Registration.objects.select_related("webinar").filter(pk=registration_id).first()
    if registration is None:
        return
    try:
        services.registration_confirm(registration=registration)
    except MeetingError as exc:
        if not exc.permanent and self.request.retries < MAX_RETRIES:
            raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc
        services.registration_confirm(registration=registration, provider_error=str(exc))


@shared_task(bind=True, name="webinars.draft_reminder_text", ignore_result=True)
def draft_reminder_text(self, webinar_id):
    webinar = Webinar.objects.filter(pk=webinar_id).first()
    if webinar is None:
        return
    try:
        services.reminder_text_draft(webinar=webinar)
    except AIError as exc:
        if getattr(exc, "permanent", True) or self.request.retries >= MAX_RETRIES:
            # Given up: the sweeper is for lost messages, not for asking the AI forever.
            pending.done(webinar, "reminder_text_due_since", webinar.reminder_text_due_since)
            raise
        raise self.retry(exc=exc, countdown=getattr(exc, "retry_after", None) or 300) from exc


@shared_task(bind=True, name="webinars.draft_social_posts", ignore_result=True)
def draft_social_posts(self, webinar_id):
    webinar = Webinar.objects.filter(pk=webinar_id).first()
    if webinar is None:
        return
    try:
        promotion.social_posts_draft(webinar=webinar)
    except AIError as exc:
        if getattr(exc, "permanent", True) or self.request.retries >= MAX_RETRIES:
            # Given up: the sweeper is for lost messages, not for asking the AI forever.
            pending.done(webinar, "social_posts_due_since", webinar.social_posts_due_since)
            raise
        raise self.retry(exc=exc, countdown=getattr(exc, "retry_after", None) or 300) from exc


@shared_task(name="webinars.settle_attendance", ignore_result=True)
def settle_attendance():
    attendance.settle_due_attendance()


@shared_task(name="webinars.reconcile_zoom", ignore_result=True)
def reconcile_zoom():
    for webinar_id in zoom.webinars_to_reconcile():
        reconcile_zoom_webinar.delay(webinar_id)


@shared_task(bind=True, name="webinars.reconcile_zoom_webinar", ignore_result=True)
def reconcile_zoom_webinar(self, webinar_id):
    webinar = Webinar.objects.filter(pk=webinar_id).first()
    if webinar is None:
        return
    try:
        zoom.reconcile_webinar(webinar=webinar)
    except MeetingError as exc:
        if exc.permanent or self.request.retries >= MAX_RETRIES:
            raise
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc


@shared_task(bind=True, name="webinars.process_recording", ignore_result=True)
def process_recording(self, recording_id):
    recording = Recording.objects.select_related("webinar").filter(pk=recording_id).first()
    if recording is None:
        return
    final = self.request.retries >= MAX_RETRIES
    try:
        recordings.recording_process(recording=recording, final_attempt=final)
    except (AIError, MeetingError) as exc:
        countdown = getattr(exc, "retry_after", None) or 60 * 2**self.request.retries
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(name="webinars.push_calendar_event", ignore_result=True)
def push_calendar_event(webinar_id):
    from webinars.services.google_calendar import push_event

    webinar = Webinar.objects.filter(pk=webinar_id).first()
    if webinar is not None:
        push_event(webinar=webinar)


@shared_task(name="webinars.sync_google_calendar", ignore_result=True)
def sync_google_calendar():
    from webinars.services.google_calendar import run_periodic

    run_periodic()


@shared_task(name="webinars.enqueue_owed_work", ignore_result=True)
def enqueue_owed_work():
    owed.enqueue_due()
