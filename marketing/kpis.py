"""Marketing figures for the KPI dashboard."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from courseops.operations.kpis.registry import Kpi, count_of, register_kpi, share_of
from marketing.models import Lead

register_kpi(
    Kpi(
        key="marketing.leads",
        area="marketing",
        label=_("Contactos nuevos"),
        **count_of(Lead.objects.all(), "created_at"),
    )
)
register_kpi(
    Kpi(
        key="marketing.conversion",
        area="marketing",
        label=_("Contactos nuevos que son alumnos"),
        unit="%",
        **share_of(Lead.objects.all(), "created_at", Q(student__isnull=False)),
    )
)
