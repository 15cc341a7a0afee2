"""Webinar figures for the KPI dashboard (the seed: attendance +60%)."""

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from courseops.operations.kpis.registry import (
    Kpi,
    Rows,
    count_of,
    median_minutes,
    register_kpi,
    share_of,
)
from students.models import Student
from webinars.models import Registration, Webinar

registrations = Registration.objects.filter(cancelled_at__isnull=True)

register_kpi(
    Kpi(
        key="webinars.held",
        rows=Rows("webinars.webinar", "starts_at", (("status", "finished"),)),
        area="webinars",
        label=_("Webinars celebrados"),
        **count_of(Webinar.objects.filter(status=Webinar.Status.FINISHED), "starts_at"),
    )
)
register_kpi(
    Kpi(
        key="webinars.attendance",
        rows=Rows("webinars.webinar", "starts_at", (("status", "finished"),)),
        area="webinars",
        label=_("Asistencia (inscritos que asistieron)"),
        unit="%",
        target=40,
        **share_of(
            registrations.filter(webinar__status=Webinar.Status.FINISHED),
            "webinar__starts_at",
            Q(attended=True),
        ),
    )
)
register_kpi(
    Kpi(
        key="webinars.conversion",
        rows=Rows("webinars.registration", "created_at", (("student__isnull", "True"),)),
        area="webinars",
        label=_("Inscritos no alumnos que se hicieron alumnos"),
        unit="%",
        **share_of(
            registrations.filter(student__isnull=True),
            "created_at",
            Q(Exists(Student.objects.filter(email__iexact=OuterRef("email")))),
        ),
    )
)
register_kpi(
    Kpi(
        key="webinars.setup_minutes",
        area="webinars",
        label=_("Mediana de preparación (webinar creado a enlace e inscripciones abiertas)"),
        rows=Rows("webinars.webinar", "created_at"),
        unit="min",
        higher_is_better=False,
        target=15,
        **median_minutes(Webinar.objects.all(), "created_at", "created_at", "scheduled_at"),
    )
)
