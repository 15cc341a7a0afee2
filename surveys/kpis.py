"""Survey figures for the KPI dashboard (the seed: NPS +20)."""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from courseops.operations.kpis.registry import Kpi, Rows, average_of, register_kpi
from surveys.models import Answer, Survey
from surveys.services import nps

NPS_KINDS = [Survey.Kind.NPS_DAY_30, Survey.Kind.NPS_COURSE_END]


def _nps(start, end):
    figures = Answer.objects.filter(
        survey__kind__in=NPS_KINDS, updated_at__gte=start, updated_at__lt=end
    ).aggregate(
        total=Count("pk"),
        promoters=Count("pk", filter=Q(score__gte=9)),
        detractors=Count("pk", filter=Q(score__lte=6)),
    )
    return nps(figures["promoters"], figures["detractors"], figures["total"])


register_kpi(
    Kpi(
        key="surveys.webinar_satisfaction",
        rows=Rows("surveys.answer", "updated_at", (("survey__kind", "webinar"),)),
        area="webinars",
        label=_("Satisfacción con los webinars"),
        unit="/5",
        target=4.5,
        **average_of(
            Answer.objects.filter(survey__kind=Survey.Kind.WEBINAR), "updated_at", "score"
        ),
    )
)
register_kpi(
    Kpi(
        key="surveys.lesson_satisfaction",
        rows=Rows("surveys.answer", "updated_at", (("survey__kind", "lesson"),)),
        area="content",
        label=_("Satisfacción con las clases"),
        unit="/5",
        target=4.5,
        **average_of(Answer.objects.filter(survey__kind=Survey.Kind.LESSON), "updated_at", "score"),
    )
)
register_kpi(
    Kpi(
        key="surveys.nps",
        area="surveys",
        label="NPS",
        unit="NPS",
        target=50,
        value=_nps,
        rows=Rows("surveys.answer", "updated_at", (("survey__kind__in", ",".join(NPS_KINDS)),)),
    )
)
