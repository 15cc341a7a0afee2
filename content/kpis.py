"""Content figures for the KPI dashboard (the seed: materials for 100% of classes)."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from content.models import Lesson
from courseops.operations.kpis.registry import Kpi, count_of, register_kpi, share_of

register_kpi(
    Kpi(
        key="content.published",
        area="content",
        label=_("Clases publicadas"),
        **count_of(Lesson.objects.filter(published_at__isnull=False), "published_at"),
    )
)
register_kpi(
    Kpi(
        key="content.materials_coverage",
        area="content",
        label=_("Clases creadas con materiales publicados"),
        unit="%",
        target=100,
        **share_of(Lesson.objects.all(), "created_at", Q(published_at__isnull=False)),
    )
)
