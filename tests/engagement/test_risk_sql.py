"""The risk scoring's two paths (one SQL statement on PostgreSQL, Python elsewhere) give
the same scores, levels and factors for the same rows; reasons are built when shown."""

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.utils import translation

from engagement.models import (
    ActivityEvent,
    ActivityKind,
    Assignment,
    PlanCurriculum,
    RiskScore,
    RiskWeights,
    StudentProgress,
    Submission,
)
from engagement.services.risk import SCORED_STATUSES, upsert_scores_in_python
from engagement.services.risk_sql import upsert_scores_in_sql
from students.models import Plan, Student
from tests.engagement.conftest import NOW

pytestmark = pytest.mark.django_db

KINDS = [ActivityKind.SIGN_IN, ActivityKind.LESSON_VIEWED, ActivityKind.WEBINAR_MISSED]
STATUSES = [*SCORED_STATUSES, Student.Status.ACTIVE, Student.Status.INACTIVE]


def varied_students(plans, n=120, seed=7):
    """Students across every factor's edges: enrolled from 0 to 90 days ago (some in
    hours, so whole days are floored), silent or not, with or without progress, a plan
    with or without a curriculum, events in and around each window."""
    rng = random.Random(seed)
    students = Student.objects.bulk_create(
        [
            Student(
                full_name=f"Alumna {i}",
                email=f"mix{i}@example.com",
                plan=rng.choice(plans),
                status=rng.choice(STATUSES),
                source=Student.Source.API,
                activated_at=(
                    None
                    if i % 5 == 0
                    else NOW - timedelta(days=rng.randint(0, 90), hours=rng.randint(0, 23))
                ),
            )
            for i in range(n)
        ]
    )
    for student in students:
        Student.objects.filter(pk=student.pk).update(
            created_at=NOW - timedelta(days=rng.randint(0, 120), minutes=rng.randint(0, 1439))
        )
    StudentProgress.objects.bulk_create(
        [
            StudentProgress(
                student=student,
                last_activity_at=(
                    None
                    if i % 7 == 0
                    else NOW - timedelta(days=rng.randint(0, 40), seconds=rng.randint(-60, 60))
                ),
                lessons_completed=rng.randint(0, 12),
                quizzes_failed=rng.choice([0, 0, 1, 3]),
            )
            for i, student in enumerate(students)
            if i % 11
        ]
    )
    ActivityEvent.objects.bulk_create(
        [
            ActivityEvent(
                student=student,
                kind=rng.choice(KINDS),
                occurred_at=NOW - timedelta(days=rng.randint(0, 35), hours=rng.randint(-1, 23)),
                source="api",
            )
            for student in students
            for _ in range(rng.randint(0, 9))
        ]
    )
    return students


def scores():
    return {
        risk.student_id: (risk.score, risk.level, risk.factors, risk.reasons)
        for risk in RiskScore.objects.all()
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL path is PostgreSQL's")
@pytest.mark.parametrize(
    "weights",
    [
        {},  # the defaults, unsaved
        {  # decimals that land on halves, so the rounding of the score is exercised
            "per_inactive_day": Decimal("2.50"),
            "inactive_grace_days": 0,
            "per_10_percent_behind": Decimal("1.25"),
            "expected_course_days": 45,
            "per_overdue_assignment": Decimal("0.10"),
            "per_missed_webinar": Decimal("3.30"),
            "per_failed_quiz": Decimal("0.50"),
            "failed_payment": Decimal("12.75"),
            "falling_activity": Decimal("7.50"),
            "medium_from": 20,
            "high_from": 45,
        },
    ],
)
def test_the_sql_and_python_paths_give_the_same_scores_for_the_same_rows(weights):
    plan = Plan.objects.create(slug="pro", name="Pro")
    other_plan = Plan.objects.create(slug="basic", name="Basic")
    PlanCurriculum.objects.create(plan=plan, lessons_total=12)
    PlanCurriculum.objects.create(plan=other_plan, lessons_total=7)
    no_curriculum = Plan.objects.create(slug="free", name="Free")
    students = varied_students([plan, other_plan, no_curriculum])
    fixed = Assignment.objects.create(
        title="Fija", instructions="x", rubric="x", due_at=NOW - timedelta(days=1)
    )
    Assignment.objects.create(
        title="Del plan", plan=plan, instructions="x", rubric="x", due_days_after_enrolment=10
    )
    Assignment.objects.create(title="Futura", instructions="x", rubric="x", due_at=NOW)
    Submission.objects.create(assignment=fixed, student=students[1], submitted_at=NOW)
    if weights:
        RiskWeights.objects.create(**weights)
    current = RiskWeights.current()

    python_count = upsert_scores_in_python(now=NOW, weights=current)
    by_python = scores()
    RiskScore.objects.all().delete()
    sql_count = upsert_scores_in_sql(now=NOW, weights=current, statuses=SCORED_STATUSES)
    by_sql = scores()

    assert sql_count == python_count == len(by_sql) > 80
    assert by_sql == by_python
    # The rows reach every factor and every level, so the comparison covers them all.
    factors = {f["factor"] for _score, _level, row, _reasons in by_sql.values() for f in row}
    assert factors == {
        "inactive", "behind_pace", "overdue_work", "missed_webinars", "failed_quizzes",
        "failed_payment", "falling_activity",
    }  # fmt: skip
    assert {level for _score, level, _factors, _reasons in by_sql.values()} == {
        "low",
        "medium",
        "high",
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL path is PostgreSQL's")
def test_an_upsert_replaces_yesterdays_score(make_student):
    student = make_student()
    StudentProgress.objects.create(student=student, last_activity_at=NOW - timedelta(days=5))
    Student.objects.filter(pk=student.pk).update(created_at=NOW - timedelta(days=30))
    weights = RiskWeights.current()
    upsert_scores_in_sql(now=NOW - timedelta(days=1), weights=weights, statuses=SCORED_STATUSES)

    upsert_scores_in_sql(now=NOW, weights=weights, statuses=SCORED_STATUSES)

    risk = RiskScore.objects.get()
    assert (risk.score, risk.computed_at, risk.reasons) == (6, NOW, "5 días sin actividad")


def test_reasons_are_built_from_the_stored_values_in_the_readers_language(make_student):
    risk = RiskScore.objects.create(
        student=make_student(),
        score=48,
        level="medium",
        computed_at=NOW,
        factors=[
            {"factor": "inactive", "value": 1, "points": 3.0},
            {"factor": "overdue_work", "value": 2, "points": 20.0},
            {"factor": "failed_payment", "value": True, "points": 20.0},
            {"factor": "falling_activity", "value": [4, 1], "points": 10.0},
        ],
    )

    assert risk.reasons == (
        "1 día sin actividad, 2 tareas vencidas, pago pendiente, "
        "su actividad cayó de 4 a 1 eventos por semana"
    )
    with translation.override("en"):
        assert risk.reasons == (
            "1 day without activity, 2 overdue assignments, payment pending, "
            "their activity fell from 4 to 1 events a week"
        )


def test_the_migration_drops_stored_reasons_and_the_reasons_read_the_same(make_student):
    migration = __import__(
        "engagement.migrations.0011_risk_factors_without_reasons", fromlist=["x"]
    )
    old = [
        {"factor": "inactive", "value": 14, "points": 33.0, "reason": "14 días sin actividad"},
        {"factor": "missed_webinars", "value": 1, "points": 8.0, "reason": "faltó a 1 webinar"},
    ]
    RiskScore.objects.create(
        student=make_student(), score=41, level="medium", computed_at=NOW, factors=old
    )

    migration.drop_stored_reasons(apps, None)
    risk = RiskScore.objects.get()
    assert risk.factors == [{k: v for k, v in f.items() if k != "reason"} for f in old]
    assert risk.reasons == "14 días sin actividad, faltó a 1 webinar"

    migration.store_reasons_again(apps, None)
    assert RiskScore.objects.get().factors == old
