"""`manage.py engagement_backtest`: does the risk score find the students who drop out?

Scores every student enrolled by a past date `as_of` from what was known then (events
before it; the lessons they had completed), then checks who had no activity at all in the
30 days after it. Compares the top-k by score with a random pick of k, so staff tune the
weights on evidence. Not known historically, so left out: failed quizzes (their scores live
in event metadata) and a past-due status (billing history is Stripe's).
"""

import random
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from engagement.models import NOT_ACTIVITY, ActivityEvent, CompletedLesson, RiskWeights
from engagement.services.risk import factors_for, level_for, with_event_windows
from students.models import Student

HORIZON = timedelta(days=30)


@dataclass(frozen=True)
class Backtest:
    students: int
    base_rate: float  # share inactive over the horizon, all students
    top_k: int
    top_rate: float
    random_rate: float


def _historical_rows(as_of):
    active = ActivityEvent.objects.filter(student=OuterRef("pk")).exclude(kind__in=NOT_ACTIVITY)
    lessons = (
        CompletedLesson.objects.filter(student=OuterRef("pk"), completed_at__lt=as_of)
        .order_by()
        .values("student")
        .annotate(n=Count("pk"))
        .values("n")
    )
    students = Student.objects.filter(created_at__lt=as_of).exclude(status="inactive")
    return (
        with_event_windows(students, now=as_of)
        .annotate(
            # Subqueries, not joins: a second join to the events would multiply the
            # window counts.
            last=Subquery(
                active.filter(occurred_at__lt=as_of).order_by("-occurred_at").values(
                    "occurred_at"
                )[:1]
            ),
            lessons=Coalesce(Subquery(lessons, output_field=IntegerField()), Value(0)),
            dropped=~Exists(
                active.filter(occurred_at__gte=as_of, occurred_at__lt=as_of + HORIZON)
            ),
        )
        .order_by()
        .values(
            "pk", "created_at", "activated_at", "plan__curriculum__lessons_total",
            "missed_30", "recent_7", "prior_7", "last", "lessons", "dropped",
        )
    )  # fmt: skip


def _historical_scores(as_of, weights):
    """(row, factors) of each student enrolled by `as_of`, scored from what was known then."""
    for row in _historical_rows(as_of):
        row.update(
            {
                "status": "active",
                "progress__last_activity_at": row.pop("last"),
                "progress__lessons_completed": row.pop("lessons"),
                "progress__quizzes_failed": 0,
            }
        )
        yield row, factors_for(row, weights=weights, now=as_of)


def risk_as_of(as_of):
    """Each student's risk as it stood at `as_of` (the weekly report's week end), not as
    it is today: [{"student_id", "score", "level", "reasons"}], highest first."""
    weights = RiskWeights.current()
    scored = []
    for row, factors in _historical_scores(as_of, weights):
        score = min(100, round(sum(factor.points for factor in factors)))
        scored.append(
            {
                "student_id": row["pk"],
                "score": score,
                "level": level_for(score, weights),
                "reasons": ", ".join(factor.reason for factor in factors),
            }
        )
    return sorted(scored, key=lambda item: -item["score"])


def run_backtest(*, as_of, top_k=50, seed=1):
    weights = RiskWeights.current()
    scored = []
    for row, factors in _historical_scores(as_of, weights):
        score = sum(f.points for f in factors)
        scored.append((score, row["dropped"]))
    if not scored:
        return Backtest(0, 0.0, 0, 0.0, 0.0)
    k = min(top_k, len(scored))
    top = sorted(scored, key=lambda pair: -pair[0])[:k]
    sample = random.Random(seed).sample(scored, k)  # noqa: S311 (a reproducible pick, not a secret)

    def rate(rows):
        return round(100 * sum(1 for _score, dropped in rows if dropped) / len(rows), 1)

    return Backtest(len(scored), rate(scored), k, rate(top), rate(sample))
