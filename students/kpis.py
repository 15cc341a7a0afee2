"""Onboarding figures for the KPI dashboard (the seed: activation in 5 minutes, not 24 h)."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from courseops.operations.kpis.registry import (
    Kpi,
    count_of,
    median_minutes,
    register_kpi,
    share_of,
)
from students.models import OnboardingStep, Student

register_kpi(
    Kpi(
        key="onboarding.new_students",
        area="onboarding",
        label=_("Nuevos alumnos"),
        **count_of(Student.objects.all(), "created_at"),
    )
)
register_kpi(
    Kpi(
        key="onboarding.activation_minutes",
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
