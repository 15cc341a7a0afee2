"""What a registrant reads: the webinar's time in their own zone and language."""

from django.conf import settings

from courseops.core.display import local_when
from webinars import calendar
from webinars.services.attendance import join_url


def registrant_context(registration, *, webinar=None):
    webinar = webinar or registration.webinar
    link = registration.link
    tracked = join_url(registration) if registration.pk and link else link
    return {
        "name": (registration.name or "").split(" ")[0],
        "title": webinar.title,
        "description": webinar.description,
        "when": local_when(
            webinar.starts_at, time_zone=registration.time_zone, language=registration.language
        ),
        "duration": webinar.duration_minutes,
        # Emails carry the tracked link (the click counts as attendance); calendars the real one.
        "link": tracked,
        "google_url": calendar.google_link(webinar, link=link),
        "outlook_url": calendar.outlook_link(webinar, link=link),
        "page_url": f"{settings.SITE_URL}/webinars/{webinar.pk}/",
    }
