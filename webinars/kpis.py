"""Webinar figures for the KPI dashboard (the seed: attendance +60%)."""

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from courseops.operations.kpis.registry import Kpi, count_of, register_kpi, share_of
from students.models import Student
from webinars.models import Registration, Webinar

registrations = Registration.objects.filter(cancelled_at__isnull=True)

register_kpi(
    Kpi(
        key="webinars.held",
        area="webinars",
        label=_("Webinars celebrados"),
        **count_of(Webinar.objects.filter(status=Webinar.Status.FINISHED), "starts_at"),
    )
)
register_kpi(
    Kpi(
        key="webinars.attendance",
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
