"""What a student sees of their webinars in the portal: the coming ones (in their time
zone, with the tracked join link while it is on, calendar links), the past ones (attended
or not, a link to the recording's replay page and its approved summary) and the ones
their plan lets them join. Each list is one query, whatever the number of webinars."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from courseops.messaging.services.addresses import normalize_email
from courseops.reviews.models import Draft, DraftStatus
from courseops.reviews.sanitize import clean_email_html
from webinars import calendar
from webinars.models import Recording, Registration, Webinar
from webinars.services.attendance import join_url, on_air
from webinars.services.recordings import has_replay
from webinars.services.text import local_when
from webinars.services.webinars import upcoming_for_plan

COMING = (Webinar.Status.SCHEDULED, Webinar.Status.LIVE)
APPROVED = (DraftStatus.APPROVED, DraftStatus.APPLIED)


def student_registrations(student):
    """The student's active registrations to webinars not cancelled, soonest first; also
    those made with their email before they were a student."""
    return (
        Registration.objects.filter(
            Q(student=student) | Q(email=normalize_email(student.email)),
            cancelled_at__isnull=True,
        )
        .exclude(webinar__status__in=(Webinar.Status.DRAFT, Webinar.Status.CANCELLED))
        .select_related("webinar", "webinar__recording")
        .order_by("webinar__starts_at", "pk")
    )


def _when(webinar, student):
    return local_when(webinar.starts_at, time_zone=student.time_zone, language=student.language)


def _coming(registration, student, now):
    webinar, link = registration.webinar, registration.link
    return {
        "registration": registration,
        "webinar": webinar,
        "when": _when(webinar, student),
        "join_url": join_url(registration) if link and on_air(webinar, now) else "",
        "google_url": calendar.google_link(webinar, link=link),
        "outlook_url": calendar.outlook_link(webinar, link=link),
        "ics_url": reverse("webinars_portal:ics", args=[registration.pk]),
    }


def _approved_summaries(recordings):
    """{recording id: approved summary HTML}, in one query."""
    if not recordings:
        return {}
    drafts = Draft.objects.filter(
        kind="webinar_summary",
        content_type=ContentType.objects.get_for_model(Recording),
        object_id__in=[str(r.pk) for r in recordings],
        status__in=APPROVED,
    ).order_by("decided_at")
    return {int(d.object_id): d.body for d in drafts}  # the latest approved wins


def _recording(webinar):
    try:
        return webinar.recording
    except Recording.DoesNotExist:
        return None


def my_webinars(student, *, now=None):
    """{"coming": [...], "past": [...], "open": [...]} for the portal page."""
    now = now or timezone.now()
    coming, past = [], []
    for registration in student_registrations(student):
        if registration.webinar.status in COMING:
            coming.append(_coming(registration, student, now))
        else:
            past.append(registration)
    recordings = [r for r in (_recording(reg.webinar) for reg in past) if r is not None]
    summaries = _approved_summaries(recordings)
    past_items = []
    for registration in reversed(past):  # the latest first
        webinar = registration.webinar
        recording = _recording(webinar)
        summary = summaries.get(recording.pk) if recording else None
        past_items.append(
            {
                "registration": registration,
                "webinar": webinar,
                "when": _when(webinar, student),
                "attended": registration.attended is True,
                # The portal's replay page (player, passcode, chapters), not the raw link.
                "replay_url": reverse("webinars_portal:replay", args=[webinar.pk])
                if recording and has_replay(recording)
                else "",
                # Cleaned to the email subset, as in the follow-up email: safe to show as is.
                "summary_html": clean_email_html(summary) if summary else "",
            }
        )
    registered = {item["webinar"].pk for item in coming}
    return {
        "coming": coming,
        "past": past_items,
        "open": [
            {"webinar": webinar, "when": _when(webinar, student)}
            for webinar in open_webinars(student, now=now)
            if webinar.pk not in registered
        ],
    }


def open_webinars(student, *, now=None):
    """Upcoming webinars the student's plan lets them join (registered or not)."""
    if not student.plan.includes_live_webinars:
        return Webinar.objects.none()
    return upcoming_for_plan(student.plan, now=now).order_by("starts_at")


def next_webinar_summary(student):
    """The home page card's line: the next webinar they registered to (one query)."""
    registration = student_registrations(student).filter(webinar__status__in=COMING).first()
    if registration is None:
        return _("No tienes webinars próximos")
    return _("Próximo: %(title)s, %(when)s") % {
        "title": registration.webinar.title,
        "when": _when(registration.webinar, student),
    }
