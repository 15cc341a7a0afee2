"""The Monday staff report: one ISO week's figures, an AI summary of only those figures,
a PDF (WeasyPrint) kept in the admin and emailed once to each staff member.

Weeks run Monday to Monday in the business's time zone (`BUSINESS_TIME_ZONE`).
"""

import re
from datetime import date, datetime, time, timedelta
from statistics import median
from zoneinfo import ZoneInfo

import weasyprint
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db.models import Count, Exists, ExpressionWrapper, F, FloatField, OuterRef, Q
from django.db.models.functions import TruncDate
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from content.models import Lesson, QuizAttempt
from content.portal.services import PASS_RATIO
from courseops.ai import generate
from courseops.audit.services import log_action
from courseops.core.display import percent_value
from courseops.messaging.services import queue_email
from engagement.models import (
    NOT_ACTIVITY,
    ActivityEvent,
    CompletedLesson,
    Intervention,
    Nudge,
    Question,
    RiskLevel,
    StudentProgress,
    WeeklyReport,
)
from engagement.services.backtest import risk_as_of
from students.models import Student

WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
AT_RISK_LISTED = 10


class BadWeek(ValueError):
    pass


def week_bounds(week):
    """(start, end) of an ISO week like "2026-W47", in the business's time zone."""
    match = WEEK_RE.match(week or "")
    if not match:
        raise BadWeek(f"{week!r} is not an ISO week like 2026-W47.")
    try:
        monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError as exc:
        raise BadWeek(f"{week!r} is not an ISO week: {exc}") from exc
    zone = ZoneInfo(settings.TIME_ZONE)
    start = datetime.combine(monday, time(0), tzinfo=zone)
    return start, datetime.combine(monday + timedelta(days=7), time(0), tzinfo=zone)


def previous_week(now=None):
    local = (now or timezone.now()).astimezone(ZoneInfo(settings.TIME_ZONE))
    year, week, _ = (local - timedelta(days=7)).isocalendar()
    return f"{year}-W{week:02d}"


def _active_events(start, end):
    return ActivityEvent.objects.filter(occurred_at__gte=start, occurred_at__lt=end).exclude(
        kind__in=NOT_ACTIVITY
    )


def _percent(part, whole):
    return float(percent_value(part, whole, 1)) if whole else 0.0


def report_figures(start, end):
    """Every figure the report shows, computed in a fixed number of queries."""
    week_active = _active_events(start, end).values("student")
    before_active = _active_events(start - timedelta(days=7), start).values("student")
    active = week_active.distinct().count()
    before = before_active.distinct().count()
    retained = (
        _active_events(start, end)
        .filter(student__in=before_active)
        .values("student")
        .distinct()
        .count()
    )
    enrolled = Student.objects.filter(
        status__in=(Student.Status.ACTIVE, Student.Status.ONBOARDING, Student.Status.PAST_DUE)
    )
    finished_ids = StudentProgress.objects.filter(
        student__plan__curriculum__lessons_total__gt=0,
        lessons_completed__gte=F("student__plan__curriculum__lessons_total"),
    ).values("student")
    completed_this_week = (
        CompletedLesson.objects.filter(
            completed_at__gte=start, completed_at__lt=end, student__in=finished_ids
        )
        .values("student")
        .distinct()
        .count()
    )
    zone = ZoneInfo(settings.TIME_ZONE)
    daily = dict(
        _active_events(start, end)
        .annotate(day=TruncDate("occurred_at", tzinfo=zone))
        .values("day")
        .annotate(n=Count("student", distinct=True))
        .values_list("day", "n")
    )
    sent = Nudge.objects.filter(sent_at__gte=start, sent_at__lt=end)
    came_back = ActivityEvent.objects.filter(
        student=OuterRef("student"), occurred_at__gt=OuterRef("sent_at")
    ).exclude(kind__in=NOT_ACTIVITY)
    nudges = sent.aggregate(sent=Count("pk"), came_back=Count("pk", filter=Q(Exists(came_back))))
    interventions = dict(
        Intervention.objects.filter(created_at__gte=start, created_at__lt=end)
        .values("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    # As the week ended, not as today: a report rebuilt later reads the same list.
    high = [risk for risk in risk_as_of(end) if risk["level"] == RiskLevel.HIGH]
    names = dict(
        Student.objects.filter(
            pk__in=[risk["student_id"] for risk in high[:AT_RISK_LISTED]]
        ).values_list("pk", "full_name")
    )
    at_risk = [
        {"name": names[risk["student_id"]], "score": risk["score"], "reasons": risk["reasons"]}
        for risk in high[:AT_RISK_LISTED]
    ]
    total = enrolled.count()
    return {
        "active": active,
        "new": Student.objects.filter(created_at__gte=start, created_at__lt=end).count(),
        "completed": completed_this_week,
        "enrolled": total,
        "completion_rate": _percent(enrolled.filter(pk__in=finished_ids).count(), total),
        "retention_rate": _percent(retained, before),
        "lessons_completed": CompletedLesson.objects.filter(
            completed_at__gte=start, completed_at__lt=end
        ).count(),
        "daily_active": [
            {"day": day.isoformat(), "n": daily.get(day, 0)}
            for day in (start.date() + timedelta(days=n) for n in range(7))
        ],
        "nudges_sent": nudges["sent"],
        "nudges_came_back": nudges["came_back"],
        "interventions": interventions,
        "at_risk_high": len(high),
        "at_risk": at_risk,
        **faq_figures(start, end),
        **content_figures(start, end),
    }


def content_figures(start, end):
    """The content app's week: lessons published, and the share of quiz attempts that
    passed (content's own pass mark, the one that completes a lesson)."""
    attempts = QuizAttempt.objects.filter(created_at__gte=start, created_at__lt=end)
    pass_mark = ExpressionWrapper(F("max_score") * PASS_RATIO, output_field=FloatField())
    counts = attempts.aggregate(
        total=Count("pk"), passed=Count("pk", filter=Q(max_score__gt=0, score__gte=pass_mark))
    )
    return {
        "lessons_published": Lesson.objects.filter(
            published_at__gte=start, published_at__lt=end
        ).count(),
        "quiz_attempts": counts["total"],
        "quiz_pass_rate": _percent(counts["passed"], counts["total"]),
    }


def faq_figures(start, end):
    """Questions of the week: how many, the share answered with no staff at all (policy
    auto), handed over, and the median minutes from question to answer."""
    questions = Question.objects.filter(created_at__gte=start, created_at__lt=end)
    counts = questions.aggregate(
        total=Count("pk"),
        automatic=Count(
            "pk", filter=Q(status=Question.Status.ANSWERED, draft__decided_automatically=True)
        ),
        handed_over=Count("pk", filter=Q(status=Question.Status.HANDED_OVER)),
    )
    waits = sorted(
        (answered - asked).total_seconds() / 60
        for asked, answered in questions.filter(answered_at__isnull=False).values_list(
            "created_at", "answered_at"
        )
    )
    return {
        "questions": counts["total"],
        "questions_auto_rate": _percent(counts["automatic"], counts["total"]),
        "questions_handed_over": counts["handed_over"],
        "median_answer_minutes": round(median(waits), 1) if waits else None,
    }


def _summary_context(week, figures):
    """Only figures: the summary cannot mention what it is not given."""
    return {
        "week": week,
        **{key: value for key, value in figures.items() if key not in ("at_risk", "daily_active")},
        "at_risk_reasons": [row["reasons"] for row in figures["at_risk"][:5]],
    }


def weekly_report_pdf(*, week, start, end, figures, summary):
    """The report's PDF (bytes) from its figures and summary."""
    html = render_to_string(
        "engagement/weekly_report.html",
        {
            "week": week,
            "start": start,
            "end": end - timedelta(days=1),
            "figures": figures,
            "summary": summary,
            "max_daily": max([day["n"] for day in figures["daily_active"]] + [1]),
        },
    )
    return weasyprint.HTML(string=html).write_pdf()


def build_weekly_report(*, week, rebuild=False):
    """The report of `week`, built once (again with `rebuild`); the AI call and the PDF
    rendering happen before the row is saved."""
    start, end = week_bounds(week)
    report = WeeklyReport.objects.filter(week=week).first()
    if report is not None and report.pdf and not rebuild:
        return report
    figures = report_figures(start, end)
    result = generate(
        "weekly_report", _summary_context(week, figures), language=settings.LANGUAGE_CODE,
        requested_by="engagement.weekly_report",
    )  # fmt: skip
    summary = result.data["summary"]
    pdf = weekly_report_pdf(week=week, start=start, end=end, figures=figures, summary=summary)
    report = report or WeeklyReport(week=week)
    report.starts_at, report.ends_at = start, end
    report.figures, report.summary = figures, summary
    report.pdf.save(f"informe-{week}.pdf", ContentFile(pdf), save=False)
    report.save()
    log_action(report, "engagement.weekly_report.built", data={"rebuild": rebuild})
    return report


def staff_recipients():
    return list(
        get_user_model()
        .objects.filter(is_staff=True, is_active=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("pk", "email")
    )


def email_weekly_report(*, report):
    """Email the PDF to every active staff member, once per person and week."""
    report.pdf.open("rb")
    try:
        pdf = report.pdf.read()
    finally:
        report.pdf.close()
    admin_url = settings.SITE_URL + reverse(
        "admin:engagement_weeklyreport_change", args=[report.pk]
    )
    for user_id, email in staff_recipients():
        queue_email(
            to=email,
            idempotency_key=f"engagement.weekly_report.{report.week}.{user_id}",
            template="engagement/weekly_report",
            context={"week": report.week, "summary": report.summary, "admin_url": admin_url},
            attachments=[(f"informe-{report.week}.pdf", pdf, "application/pdf")],
            related=report,
        )
    WeeklyReport.objects.filter(pk=report.pk, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )


def weekly_report_run(*, now=None):
    """Monday's run: last week's report, built and emailed (both idempotent)."""
    report = build_weekly_report(week=previous_week(now))
    email_weekly_report(report=report)
    return report
