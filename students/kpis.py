"""Onboarding and subscription figures for the KPI dashboard (the seed: activation in 5
minutes, not 24 h; retention +30%)."""

from django.db.models import Q, Sum
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from courseops.ai.models import AIUsage
from courseops.operations.kpis.registry import (
    Kpi,
    KpiTable,
    Percent,
    Rows,
    count_of,
    median_minutes,
    register_kpi,
    register_table,
    share_of,
)
from students.billing import figures
from students.models import OnboardingStep, Student

register_kpi(
    Kpi(
        key="onboarding.new_students",
        rows=Rows("students.student", "created_at"),
        area="onboarding",
        label=_("Nuevos alumnos"),
        **count_of(Student.objects.all(), "created_at"),
    )
)
register_kpi(
    Kpi(
        key="onboarding.activation_minutes",
        rows=Rows("students.student", "created_at"),
        area="onboarding",
        label=_("Mediana del registro al acceso activo"),
        unit="min",
        higher_is_better=False,
        target=5,
        **median_minutes(Student.objects.all(), "created_at", "created_at", "activated_at"),
    )
)
register_kpi(
    Kpi(
        key="onboarding.completion",
        rows=Rows("students.student", "created_at"),
        area="onboarding",
        label=_("Alta completada"),
        unit="%",
        target=95,
        **share_of(Student.objects.all(), "created_at", Q(activated_at__isnull=False)),
    )
)
register_kpi(
    Kpi(
        key="onboarding.setup_errors",
        area="onboarding",
        label=_("Pasos de alta fallidos"),
        higher_is_better=False,
        target=0,
        **count_of(
            OnboardingStep.objects.filter(status=OnboardingStep.Status.FAILED), "started_at"
        ),
    )
)


def ai_cost_per_onboarded_student(start, end):
    """The AI spend of onboarding (every call students.* asked for: welcome emails) in
    the period over the students who completed onboarding in it; None with none. Two
    queries."""
    onboarded = Student.objects.filter(activated_at__gte=start, activated_at__lt=end).count()
    if not onboarded:
        return None
    cost = AIUsage.objects.filter(
        created_at__gte=start, created_at__lt=end, requested_by__startswith="students."
    ).aggregate(total=Sum("cost_usd"))["total"]
    return float(cost or 0) / onboarded


register_kpi(
    Kpi(
        key="onboarding.ai_cost_per_student",
        rows=Rows("ai.aiusage", "created_at", (("requested_by__startswith", "students."),)),
        area="ai",
        label=_("Coste de IA por alumno dado de alta"),
        unit="USD",
        higher_is_better=False,
        target=0.003,
        value=ai_cost_per_onboarded_student,
    )
)
register_kpi(
    Kpi(
        key="subscriptions.churn",
        rows=Rows("students.subscription", "ended_at"),
        area="subscriptions",
        label=_("Bajas (suscripciones activas al inicio que terminaron)"),
        unit="%",
        higher_is_better=False,
        target=5,
        value=figures.churn,
    )
)
register_kpi(
    Kpi(
        key="subscriptions.ltv",
        area="subscriptions",
        label=_("Valor de vida del alumno (precio medio / bajas mensuales)"),
        unit="USD",
        value=figures.ltv,
    )
)


def _percent(value):
    return None if value is None else Percent(value)


def cohort_rows(start, end):
    return [
        [
            date_format(month, "YEAR_MONTH_FORMAT"),
            row["students"],
            *(_percent(row[months]) for months in figures.RETENTION_AFTER),
        ]
        for month, row in figures.cohort_retention(start, end).items()
    ]


register_table(
    KpiTable(
        key="subscriptions.cohort_retention",
        area="subscriptions",
        label=_("Retención por mes de alta (alumnos de pago con suscripción viva)"),
        columns=(_("Mes de alta"), _("Alumnos"), _("1 mes"), _("2 meses"), _("3 meses")),
        rows=cohort_rows,
    )
)
