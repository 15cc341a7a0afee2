"""Engagement figures for the KPI dashboard (the seed: replies in 5 minutes instead of 24
hours, retention +30%, course completion +25%)."""

from datetime import timedelta

from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    Sum,
)
from django.db.models.functions import TruncDate
from django.utils.translation import gettext_lazy as _

from courseops.ai.models import AIUsage
from courseops.operations.kpis.registry import Kpi, Rows, count_of, median_minutes, register_kpi
from engagement.models import NOT_ACTIVITY, ActivityEvent, ActivityKind, Certificate, Question
from students.models import Student
from webinars.models import Registration

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


POST_WEBINAR_DAYS = 7


def post_webinar_engagement(start, end):
    """Of the students who attended a webinar held in the period, the share who did
    something else (a lesson, a quiz, a question, the recording's link) in the
    POST_WEBINAR_DAYS from its start (the attendance itself left out). Counted from the
    start rather than the end: start + duration is an integer times an interval, which
    SQLite cannot compute in a query. One query."""
    started = OuterRef("webinar__starts_at")
    came_back = Exists(
        activity.exclude(kind=ActivityKind.WEBINAR_ATTENDED).filter(
            student=OuterRef("student"),
            occurred_at__gte=started,
            occurred_at__lt=ExpressionWrapper(
                started + timedelta(days=POST_WEBINAR_DAYS), output_field=DateTimeField()
            ),
        )
    )
    figures = Registration.objects.filter(
        attended=True,
        student__isnull=False,
        cancelled_at__isnull=True,
        webinar__starts_at__gte=start,
        webinar__starts_at__lt=end,
    ).aggregate(total=Count("pk"), hits=Count("pk", filter=Q(came_back)))
    return 100 * figures["hits"] / figures["total"] if figures["total"] else None


def completion_rate(start, end):
    """Of the students active in the period, the share who have completed their course
    (a certificate issued before the period's end). One query."""
    done = Exists(Certificate.objects.filter(student=OuterRef("pk"), issued_at__lt=end))
    active = Exists(_active_between(start, end).filter(student=OuterRef("pk")))
    figures = Student.objects.filter(active).aggregate(
        total=Count("pk"), done=Count("pk", filter=Q(done))
    )
    return 100 * figures["done"] / figures["total"] if figures["total"] else None


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
        rows=Rows("engagement.activityevent", "occurred_at"),
        area="engagement",
        label=_("Estudiantes activos"),
        value=active_students,
        series=active_students_by_day,
    )
)
register_kpi(
    Kpi(
        key="engagement.retention",
        rows=Rows("engagement.activityevent", "occurred_at"),
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
        rows=Rows("engagement.question", "created_at"),
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
        rows=Rows("engagement.certificate", "issued_at"),
        area="engagement",
        label=_("Cursos completados (certificados)"),
        **count_of(Certificate.objects.all(), "issued_at"),
    )
)
register_kpi(
    Kpi(
        key="engagement.ai_cost_per_active_student",
        rows=Rows("ai.aiusage", "created_at"),
        area="ai",
        label=_("Coste de IA por estudiante activo"),
        unit="USD",
        higher_is_better=False,
        value=ai_cost_per_active_student,
    )
)
register_kpi(
    Kpi(
        key="engagement.post_webinar",
        area="webinars",
        label=_("Asistentes activos en los 7 días tras el webinar"),
        rows=Rows("webinars.webinar", "starts_at", (("status", "finished"),)),
        unit="%",
        value=post_webinar_engagement,
    )
)
register_kpi(
    Kpi(
        key="engagement.completion_rate",
        area="engagement",
        label=_("Activos que completaron el curso (con certificado)"),
        rows=Rows("engagement.certificate", "issued_at"),
        unit="%",
        value=completion_rate,
    )
)
