"""The student page's webinars: registered, attended or missed, and how long."""

from django.urls import reverse
from django.utils.translation import gettext as _

from students.student_page import ROWS, Section, link, register_section, when
from webinars.models import Registration


def _webinars(student):
    registrations = (
        Registration.objects.filter(student=student)
        .select_related("webinar")
        .order_by("-webinar__starts_at")[:ROWS]
    )
    rows = []
    for r in registrations:
        if r.cancelled_at:
            state = _("Canceló la inscripción")
        elif r.attended:
            state = _("Asistió (%(n)d min)") % {"n": r.minutes_attended or 0}
        elif r.attended is False:
            state = _("No asistió")
        else:
            state = _("Inscrito")
        rows.append(
            [
                link(
                    reverse("admin:webinars_webinar_change", args=[r.webinar_id]), r.webinar.title
                ),
                when(r.webinar.starts_at),
                state,
            ]
        )
    return Section(
        title=_("Webinars"),
        headers=[_("Webinar"), _("Inicio"), _("Asistencia")],
        rows=rows,
        empty=_("No se ha inscrito a ningún webinar."),
    )


def register():
    register_section(80, _webinars)
