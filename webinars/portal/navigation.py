"""The "Mis webinars" section of the portal's navigation (registered in WebinarsConfig.ready)."""

from django.utils.translation import gettext_lazy as _

from students.portal.navigation import register_section
from webinars.portal.services import next_webinar_summary


def register():
    register_section(
        "webinars",
        _("Mis webinars"),
        "webinars_portal:my_webinars",
        order=30,
        summary=next_webinar_summary,
    )
