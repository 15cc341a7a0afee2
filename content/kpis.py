"""Content figures for the KPI dashboard (the seed: materials for 100% of classes)."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from content.models import JobStep, Lesson
from courseops.operations.kpis.registry import (
    Kpi,
    Rows,
    count_of,
    median_minutes,
    register_kpi,
    share_of,
)

published_steps = JobStep.objects.filter(name=JobStep.Name.PUBLISH, status=JobStep.Status.DONE)

register_kpi(
    Kpi(
        key="content.published",
        rows=Rows("content.lesson", "published_at"),
        area="content",
        label=_("Clases publicadas"),
        **count_of(Lesson.objects.filter(published_at__isnull=False), "published_at"),
    )
)
register_kpi(
    Kpi(
        key="content.materials_coverage",
        rows=Rows("content.lesson", "created_at"),
        area="content",
        label=_("Clases creadas con materiales publicados"),
        unit="%",
        target=100,
        **share_of(Lesson.objects.all(), "created_at", Q(published_at__isnull=False)),
    )
)
register_kpi(
    Kpi(
        key="content.production_minutes",
        rows=Rows("content.contentjob", "created_at"),
        area="content",
        label=_("Mediana de producción (clase recibida a materiales publicados)"),
        unit="min",
        higher_is_better=False,
        target=30,
        # From the job's creation (the recording arrived) to its publish step finishing,
        # staff review included: the seed's "4 h -> 30 min" is the whole wait.
        **median_minutes(published_steps, "finished_at", "job__created_at", "finished_at"),
    )
)
