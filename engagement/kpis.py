"""Engagement figures for the KPI dashboard (the seed: replies in 5 minutes instead of 24
hours, retention +30%, course completion +25%)."""

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import gettext_lazy as _

from courseops.ai.models import AIUsage
from courseops.operations.kpis.registry import Kpi, count_of, median_minutes, register_kpi
from engagement.models import NOT_ACTIVITY, ActivityEvent, Certificate, Question
from students.models import Student

activity = ActivityEvent.objects.exclude(kind__in=NOT_ACTIVITY)


def _active_between(start, end):
    return activity.filter(occurred_at__gte=start, occurred_at__lt=end)


def active_students(start, end):
    """Distinct students who did something in the period."""
    return _active_between(start, end).aggregate(n=Count("student", distinct=True))["n"]


def active_students_by_day(start, end):
    rows = (
        _active_between(start, end)
        .annotate(day=TruncDate("occurred_at"))
        .values("day")
        .annotate(n=Count("student", distinct=True))
        .order_by("day")
    )
    return {row["day"]: row["n"] for row in rows}


def retention(start, end):
    """Of the students active in the period of the same length just before, the share
    still active in this one (None when nobody was active before)."""
    was_active = Exists(
        _active_between(start - (end - start), start).filter(student=OuterRef("pk"))
    )
    still_active = Exists(_active_between(start, end).filter(student=OuterRef("pk")))
    figures = Student.objects.filter(was_active).aggregate(
        total=Count("pk"), kept=Count("pk", filter=Q(still_active))
    )
    return 100 * figures["kept"] / figures["total"] if figures["total"] else None


def ai_cost_per_active_student(start, end):
    """The period's whole AI cost (every area's) over its active students: what the AI
    costs per student actually taking the course. Two queries."""
    students = active_students(start, end)
    cost = AIUsage.objects.filter(created_at__gte=start, created_at__lt=end).aggregate(
        total=Sum("cost_usd")
    )["total"]
    return float(cost or 0) / students if students else None


register_kpi(
    Kpi(
        key="engagement.active_students",
        area="engagement",
        label=_("Estudiantes activos"),
        value=active_students,
        series=active_students_by_day,
    )
)
register_kpi(
    Kpi(
        key="engagement.retention",
        area="engagement",
        label=_("Retención (activos del periodo anterior que siguen activos)"),
        unit="%",
        target=70,
        value=retention,
    )
)
register_kpi(
    Kpi(
        key="engagement.response_minutes",
        area="engagement",
        label=_("Mediana de respuesta a preguntas"),
        unit="min",
        higher_is_better=False,
        target=5,
        **median_minutes(Question.objects.all(), "created_at", "created_at", "answered_at"),
    )
)
register_kpi(
    Kpi(
        key="engagement.completions",
        area="engagement",
        label=_("Cursos completados (certificados)"),
        **count_of(Certificate.objects.all(), "issued_at"),
    )
)
register_kpi(
    Kpi(
        key="engagement.ai_cost_per_active_student",
        area="ai",
        label=_("Coste de IA por estudiante activo"),
        unit="USD",
        higher_is_better=False,
        value=ai_cost_per_active_student,
    )
)
