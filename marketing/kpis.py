"""Marketing figures for the KPI dashboard."""

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courseops.operations.kpis.registry import Kpi, Rows, count_of, register_kpi, share_of, sum_of
from marketing.funnel.models import MarketingCost
from marketing.funnel.report import paying_leads
from marketing.models import Lead
from students.billing.figures import new_paying_students


def cac(start, end):
    """Cost of acquiring a paying student: what marketing entered as spent in the period
    (the costs behind cost per lead) / students whose first payment started in it. None
    when no cost is entered for the period (an unknown cost is not a free student) or
    nobody started paying. Two queries."""
    spent = MarketingCost.objects.filter(
        spent_on__gte=timezone.localtime(start).date(),
        spent_on__lt=timezone.localtime(end).date(),
    ).aggregate(entries=Count("pk"), amount=Sum("amount"))
    payers = new_paying_students(start, end)
    if not spent["entries"] or not payers:
        return None
    return float(spent["amount"]) / payers


register_kpi(
    Kpi(
        key="marketing.leads",
        rows=Rows("marketing.lead", "created_at"),
        area="marketing",
        label=_("Contactos nuevos"),
        **count_of(Lead.objects.all(), "created_at"),
    )
)
register_kpi(
    Kpi(
        key="marketing.conversion",
        rows=Rows("marketing.lead", "created_at"),
        area="marketing",
        label=_("Contactos nuevos que son alumnos"),
        unit="%",
        **share_of(Lead.objects.all(), "created_at", Q(student__isnull=False)),
    )
)
register_kpi(
    Kpi(
        key="marketing.revenue",
        rows=Rows("marketing.lead", "created_at"),
        area="marketing",
        label=_("Ingresos de los contactos nuevos que pagan (precio del plan)"),
        unit="USD",
        # The funnel's revenue: the period's new contacts who pay, at their plan's price.
        **sum_of(paying_leads(), "created_at", "student__plan__price"),
    )
)
register_kpi(
    Kpi(
        key="marketing.cac",
        rows=Rows("marketing.marketingcost", "spent_on"),
        area="marketing",
        label=_("Coste de adquisición por alumno de pago"),
        unit="USD",
        higher_is_better=False,
        no_data=_("sin datos"),
        value=cac,
    )
)
