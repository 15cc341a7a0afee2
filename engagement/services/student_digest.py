"""The weekly progress email students opt into from their progress page."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from courseops.messaging.models import Category
from courseops.messaging.services import queue_email
from engagement.models import StudentProgress
from engagement.services.nudges import ELIGIBLE_STATUSES, quiet_hours_end
from engagement.services.progress import progress_for
from engagement.services.weekly_report import previous_week

QUIET_START, QUIET_END = 21, 8


def set_weekly_email(*, student, enabled):
    StudentProgress.objects.get_or_create(student=student)
    StudentProgress.objects.filter(student=student).update(weekly_email=bool(enabled))


def send_weekly_progress(*, now=None):
    """Queue last week's progress email for every student who asked for it, once a week
    each (keyed by week), after their quiet hours. Returns how many were queued."""
    now = now or timezone.now()
    week = previous_week(now)
    url = settings.SITE_URL + reverse("engagement:portal-progress")
    opted_in = StudentProgress.objects.filter(
        weekly_email=True, student__status__in=ELIGIBLE_STATUSES
    ).select_related("student", "student__plan")
    queued = 0
    for row in opted_in.iterator(chunk_size=500):
        student = row.student
        queue_email(
            to=student.email,
            idempotency_key=f"engagement.weekly_progress.{week}.{student.pk}",
            template="engagement/weekly_progress",
            context={
                "name": student.first_name,
                "week": week,
                "progress": progress_for(student, now=now).as_dict(),
                "progress_url": url,
            },
            category=Category.ENGAGEMENT,
            send_at=quiet_hours_end(
                now, time_zone=student.time_zone, start_hour=QUIET_START, end_hour=QUIET_END
            ),
            related=row,
            language=student.language,
        )
        queued += 1
    return queued
