"""A transparent daily risk score per student, and interventions for the high ones.

Every factor's value and points are stored with the score, and the reasons are built from
the values when shown, so staff read "14 días sin actividad, faltó a 1 webinar" (in their
language) rather than a number. The pace is measured from each student's own enrolment
date (rolling enrolment: no fixed course dates). On PostgreSQL the scoring is one INSERT
... SELECT (`risk_sql`); elsewhere one query over the students with their progress and
three counts of recent events, one per active assignment for overdue work, then one
upsert. Either way the number of queries does not grow with the students, and both give
the same scores (a test compares them on the same rows).
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, FilteredRelation, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from courseops.ai import generate
from courseops.outbound.services.announce import subscribed
from courseops.reviews.services import create_draft
from engagement import webhook_events
from engagement.models import (
    NOT_ACTIVITY,
    ActivityEvent,
    ActivityKind,
    Intervention,
    RiskLevel,
    RiskScore,
    RiskWeights,
    risk_reason,
)
from engagement.services.pending import overdue_counts
from engagement.services.risk_sql import upsert_scores_in_sql
from students.models import Student

SCORED_STATUSES = (Student.Status.ONBOARDING, Student.Status.ACTIVE, Student.Status.PAST_DUE)
SUGGEST_CHUNK = 50
COMEBACK_WINDOW = timedelta(days=7)


ROW_FIELDS = (
    "pk",
    "status",
    "created_at",
    "activated_at",
    "progress__last_activity_at",
    "progress__lessons_completed",
    "progress__quizzes_failed",
    "plan__curriculum__lessons_total",
    "missed_30",
    "recent_7",
    "prior_7",
)


def with_event_windows(students, *, now):
    """Annotate the event counts the factors need: missed webinars in 30 days, activity in
    the last week and the week before. The events are joined only from the 30 days before
    `now` (the condition sits in the JOIN, as a hand-written aggregate would put it) and
    counted per window with FILTER."""
    missed = Q(recent__kind=ActivityKind.WEBINAR_MISSED)
    last_week = Q(recent__occurred_at__gte=now - timedelta(days=7))
    week_before = Q(
        recent__occurred_at__gte=now - timedelta(days=14),
        recent__occurred_at__lt=now - timedelta(days=7),
    )
    return students.alias(
        recent=FilteredRelation(
            "activity_events",
            condition=Q(
                activity_events__occurred_at__gte=now - timedelta(days=30),
                activity_events__occurred_at__lt=now,
            ),
        )
    ).annotate(
        missed_30=Count("recent", filter=missed),
        recent_7=Count("recent", filter=last_week & ~missed),
        prior_7=Count("recent", filter=week_before & ~missed),
    )


def scoring_rows(*, now):
    """One query: every scored student with their progress and event windows."""
    students = Student.objects.filter(status__in=SCORED_STATUSES)
    return with_event_windows(students, now=now).order_by().values_list(*ROW_FIELDS)


@dataclass(frozen=True)
class Factor:
    factor: str
    value: object
    points: Decimal  # exact (the weights are decimals), so both scoring paths agree

    @property
    def reason(self):
        return risk_reason(self.factor, self.value)

    def stored(self):
        return {"factor": self.factor, "value": self.value, "points": float(self.points)}


def factors_for(row, *, weights, now):
    """The factors of one student's row (a dict of ROW_FIELDS). Mirrored in SQL by
    `risk_sql` (same integer arithmetic, so the two give the same scores)."""
    factors = []
    last = row["progress__last_activity_at"]
    enrolled = row["activated_at"] or row["created_at"]
    days_inactive = (now - (last or enrolled)).days
    if days_inactive > weights.inactive_grace_days:
        points = weights.per_inactive_day * (days_inactive - weights.inactive_grace_days)
        factors.append(Factor("inactive", days_inactive, points))
    total = row["plan__curriculum__lessons_total"] or 0
    if total:
        # Percent behind = min(100, 100 * days / E) - 100 * done / total, kept in integers
        # (scaled by E * total) so that no float rounding moves a student across a 10 %.
        course_days = max(weights.expected_course_days, 1)
        scale = course_days * total
        done = row["progress__lessons_completed"] or 0
        behind = min(100 * (now - enrolled).days * total, 100 * scale) - 100 * done * course_days
        if behind >= 10 * scale:
            percent = (2 * behind + scale) // (2 * scale)  # rounded half up
            points = weights.per_10_percent_behind * (behind // (10 * scale))
            factors.append(Factor("behind_pace", percent, points))
    overdue = row.get("overdue", 0)
    if overdue:
        factors.append(Factor("overdue_work", overdue, weights.per_overdue_assignment * overdue))
    missed = row["missed_30"]
    if missed:
        factors.append(Factor("missed_webinars", missed, weights.per_missed_webinar * missed))
    failed = row["progress__quizzes_failed"] or 0
    if failed:
        factors.append(Factor("failed_quizzes", failed, weights.per_failed_quiz * failed))
    if row["status"] == Student.Status.PAST_DUE:
        factors.append(Factor("failed_payment", True, weights.failed_payment))
    if row["prior_7"] >= 2 and row["recent_7"] * 2 <= row["prior_7"]:
        factors.append(
            Factor("falling_activity", [row["prior_7"], row["recent_7"]], weights.falling_activity)
        )
    return factors


def score_of(factors):
    """The points' sum rounded half up (as PostgreSQL's round), between 0 and 100."""
    total = sum((factor.points for factor in factors), Decimal(0))
    return max(0, min(100, int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))))


def level_for(score, weights):
    if score >= weights.high_from:
        return RiskLevel.HIGH
    if score >= weights.medium_from:
        return RiskLevel.MEDIUM
    return RiskLevel.LOW


def score_students(*, now=None):
    """Score every student now; returns how many were scored. On PostgreSQL one INSERT ...
    SELECT computes and stores every score (`risk_sql`); elsewhere the rows are scored in
    Python. Students no longer scored (cancelled) then drop off the at-risk list: every
    scored row was just stamped `now`, so older rows are theirs (no join to students)."""
    now = now or timezone.now()
    weights = RiskWeights.current()
    if connection.vendor == "postgresql":
        scored = upsert_scores_in_sql(now=now, weights=weights, statuses=SCORED_STATUSES)
    else:
        scored = upsert_scores_in_python(now=now, weights=weights)
    RiskScore.objects.filter(computed_at__lt=now).delete()
    return scored


def upsert_scores_in_python(*, now, weights):
    """One query for the rows, one per active assignment for overdue work, one upsert
    (which Django splits into batches under SQLite's variable limit)."""
    overdue = overdue_counts(Student.objects.filter(status__in=SCORED_STATUSES), now=now)
    scores = []
    for values in scoring_rows(now=now).iterator(chunk_size=2000):
        row = dict(zip(ROW_FIELDS, values, strict=True))
        row["overdue"] = overdue.get(row["pk"], 0)
        factors = factors_for(row, weights=weights, now=now)
        score = score_of(factors)
        scores.append(
            RiskScore(
                student_id=row["pk"],
                score=score,
                level=level_for(score, weights),
                factors=[factor.stored() for factor in factors],
                computed_at=now,
            )
        )
    RiskScore.objects.bulk_create(
        scores,
        update_conflicts=True,
        unique_fields=["student"],
        update_fields=["score", "level", "factors", "computed_at"],
    )
    return len(scores)


def daily_risk_run(*, now=None):
    """Score everyone, record past interventions' outcomes, then enqueue suggestions for
    the high-risk students (in chunks, after commit). Returns how many were scored."""
    from engagement.tasks import suggest_interventions

    now = now or timezone.now()
    # Only a student who becomes high is announced (a webhook), and who was high before
    # is read only when an integration listens.
    announcing = subscribed("student.at_risk")
    high = RiskScore.objects.filter(level=RiskLevel.HIGH)
    was_high = list(high.values_list("student_id", flat=True)) if announcing else []
    scored = score_students(now=now)
    if announcing:
        became_high = high.exclude(student_id__in=was_high).select_related("student")
        webhook_events.students_at_risk(became_high)
    evaluate_outcomes(now=now)
    ids = list(students_needing_intervention(now=now).values_list("student_id", flat=True))
    for start in range(0, len(ids), SUGGEST_CHUNK):
        chunk = ids[start : start + SUGGEST_CHUNK]
        transaction.on_commit(lambda chunk=chunk: suggest_interventions.delay(chunk))
    return scored


# --- Interventions -------------------------------------------------------------------------


def iso_week(when):
    year, week, _weekday = when.isocalendar()
    return f"{year}-W{week:02d}"


def students_needing_intervention(*, now):
    """High-risk students, not past due (billing handles those), without one this week."""
    this_week = Intervention.objects.filter(student=OuterRef("student"), week=iso_week(now))
    return (
        RiskScore.objects.filter(level=RiskLevel.HIGH)
        .exclude(student__status=Student.Status.PAST_DUE)
        .filter(~Exists(this_week))
        .select_related("student", "student__plan")
    )


def suggest_intervention(*, risk, now=None):
    """Ask the AI for an intervention and queue it for review (kind `at_risk_intervention`);
    one per student per week. Returns the Intervention or None if one exists."""
    now = now or timezone.now()
    student = risk.student
    context = {
        "name": student.first_name,
        "plan": student.plan.name,
        "score": risk.score,
        "reasons": risk.reason_list,
        "factors": sorted(factor["factor"] for factor in risk.factors),
    }
    result = generate(
        "at_risk_intervention",
        context,
        language=student.language,
        requested_by="engagement",
        subject=student,
    )
    kind = result.data["intervention"]
    try:
        with transaction.atomic():
            intervention = Intervention.objects.create(
                student=student,
                kind=kind,
                week=iso_week(now),
                score=risk.score,
                reasons=risk.reasons,
            )
            draft = create_draft(
                kind="at_risk_intervention",
                target=intervention,
                subject=result.data["subject"],
                body=result.data["body_html"],
                data={"intervention": kind, "why": result.data["why"]},
                context=context,
                ai_result=result,
                recipient=student.email,
            )
            Intervention.objects.filter(pk=intervention.pk).update(draft=draft)
    except IntegrityError:
        return None  # another run suggested this week's already
    return intervention


def evaluate_outcomes(*, now=None):
    """Record, for interventions applied over 7 days ago, whether the student came back."""
    now = now or timezone.now()
    came_back = ActivityEvent.objects.filter(
        student=OuterRef("student"),
        occurred_at__gte=OuterRef("applied_at"),
        occurred_at__lt=OuterRef("applied_at") + COMEBACK_WINDOW,
    ).exclude(kind__in=NOT_ACTIVITY)
    return Intervention.objects.filter(
        applied_at__lte=now - COMEBACK_WINDOW, came_back__isnull=True
    ).update(came_back=Exists(came_back))


def outcomes_by_kind():
    """{kind: (applied, came back)} for the admin's summary."""
    rows = (
        Intervention.objects.filter(came_back__isnull=False)
        .values("kind")
        .annotate(total=Count("pk"), back=Count("pk", filter=Q(came_back=True)))
    )
    return {row["kind"]: (row["total"], row["back"]) for row in rows}


def apply_intervention(*, intervention, kind, subject, body_html, body_text, user=None):
    """Approved: email the student (message, 1:1 offer) or open a call task for staff.
    Keyed by the intervention, so a retried approval does it once."""
    from courseops.audit.services import log_action
    from courseops.messaging.models import Category
    from courseops.messaging.services import queue_email
    from courseops.support.models import Ticket
    from courseops.support.services import open_ticket

    student = intervention.student
    key = f"engagement.intervention.{intervention.pk}"
    changes = {"applied_at": timezone.now(), "kind": kind}
    if kind == Intervention.Kind.CALL:
        ticket = open_ticket(
            subject=_("Llamar a %(name)s (riesgo de abandono)") % {"name": student.full_name},
            description=_("Motivos: %(reasons)s.\nTeléfono: %(phone)s\n\nSugerencia:\n%(text)s")
            % {"reasons": intervention.reasons, "phone": student.phone or "-", "text": body_text},
            kind="at_risk_call",
            target=student,
            due_at=timezone.now() + timedelta(days=2),
            priority=Ticket.Priority.HIGH,
            key=key,
            user=user,
        )
        changes["ticket"] = ticket
    else:
        queue_email(
            to=student.email,
            idempotency_key=key,
            subject=subject,
            html=body_html,
            text=body_text,
            category=Category.ENGAGEMENT,
            related=intervention,
            language=student.language,
        )
    if Intervention.objects.filter(pk=intervention.pk, applied_at__isnull=True).update(**changes):
        log_action(intervention, "engagement.intervention.applied", user=user, data={"kind": kind})
