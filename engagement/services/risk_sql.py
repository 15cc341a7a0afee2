"""The daily risk scoring as one PostgreSQL statement: every scored student's factor
values, points, score and level computed and upserted by one INSERT ... SELECT ... ON
CONFLICT DO UPDATE, so no row travels to Python and back (at 10,000 bench students,
1.4-1.5 s against 6.1-8.8 s for the Python path on the loaded machine; at 100,000 within
the hand-written upsert's time: bench/README.md, engagement).

It mirrors `risk.factors_for` factor by factor with the same exact arithmetic (decimal
weights, whole days floored as `timedelta.days` does, the pace in integers scaled by
expected days x lessons, the score rounded half up) and stores the same JSON, so the two
paths give the same scores; tests/engagement/test_risk_sql.py runs both on the same rows.
"""

from datetime import timedelta
from decimal import Decimal

from django.db import connection

from engagement.models import ActivityKind, RiskLevel
from students.models import Student

UPSERT = """
WITH events AS (
    -- Only the last 30 days are read, aggregated per student before the join.
    SELECT student_id,
           count(*) FILTER (WHERE kind = %(missed)s) AS missed,
           count(*) FILTER (WHERE kind <> %(missed)s AND occurred_at >= %(week)s) AS recent,
           count(*) FILTER (WHERE kind <> %(missed)s AND occurred_at >= %(fortnight)s
                            AND occurred_at < %(week)s) AS prior
    FROM engagement_activityevent
    WHERE occurred_at >= %(month)s AND occurred_at < %(now)s
    GROUP BY student_id
),
overdue AS (
    -- As `pending.overdue_counts`: a fixed due date passed, or N days after enrolment.
    SELECT s.id AS student_id, count(*) AS n
    FROM engagement_assignment a
    JOIN students_student s ON (a.plan_id IS NULL OR a.plan_id = s.plan_id)
    WHERE a.active AND s.status = ANY(%(statuses)s)
      AND CASE WHEN a.due_at IS NOT NULL THEN a.due_at < %(now)s
               ELSE coalesce(s.activated_at, s.created_at)
                    < %(now)s - make_interval(days => a.due_days_after_enrolment) END
      AND NOT EXISTS (SELECT 1 FROM engagement_submission sub
                      WHERE sub.assignment_id = a.id AND sub.student_id = s.id)
    GROUP BY s.id
),
inputs AS (
    -- Whole days floored, as Python's `timedelta.days` (a double is exact enough: a
    -- microsecond before midnight stays 1e-11 below the whole day).
    SELECT s.id, s.status,
           floor(date_part('epoch', %(now)s
                 - coalesce(p.last_activity_at, s.activated_at, s.created_at)) / 86400)::bigint
               AS inactive_days,
           floor(date_part('epoch', %(now)s - coalesce(s.activated_at, s.created_at)) / 86400)
               ::bigint AS enrolled_days,
           coalesce(c.lessons_total, 0)::bigint AS total,
           coalesce(p.lessons_completed, 0)::bigint AS done,
           coalesce(p.quizzes_failed, 0) AS failed,
           coalesce(o.n, 0) AS overdue,
           coalesce(e.missed, 0) AS missed,
           coalesce(e.recent, 0) AS recent,
           coalesce(e.prior, 0) AS prior
    FROM students_student s
    LEFT JOIN engagement_studentprogress p ON p.student_id = s.id
    LEFT JOIN engagement_plancurriculum c ON c.plan_id = s.plan_id
    LEFT JOIN events e ON e.student_id = s.id
    LEFT JOIN overdue o ON o.student_id = s.id
    WHERE s.status = ANY(%(statuses)s)
),
paced AS (
    -- Percent behind x (E x total): min(100 x days x total, 100 x E x total) - 100 x done x E.
    SELECT *, %(course_days)s * total AS scale,
           least(100 * enrolled_days * total, 100 * %(course_days)s * total)
               - 100 * done * %(course_days)s AS behind
    FROM inputs
),
factors AS (
    -- Each factor's value and points, NULL when it does not apply.
    SELECT id,
           CASE WHEN inactive_days > %(grace)s THEN inactive_days END AS inactive,
           CASE WHEN inactive_days > %(grace)s
                THEN %(per_inactive_day)s * (inactive_days - %(grace)s) END AS inactive_points,
           CASE WHEN total > 0 AND behind >= 10 * scale
                THEN (2 * behind + scale) / (2 * scale) END AS behind_pace,
           CASE WHEN total > 0 AND behind >= 10 * scale
                THEN %(per_10_percent_behind)s * (behind / (10 * scale)) END AS behind_points,
           nullif(overdue, 0) AS overdue,
           %(per_overdue_assignment)s * nullif(overdue, 0) AS overdue_points,
           nullif(missed, 0) AS missed,
           %(per_missed_webinar)s * nullif(missed, 0) AS missed_points,
           nullif(failed, 0) AS failed,
           %(per_failed_quiz)s * nullif(failed, 0) AS failed_points,
           CASE WHEN status = %(past_due)s THEN %(failed_payment)s END AS payment_points,
           CASE WHEN prior >= 2 AND recent * 2 <= prior
                THEN jsonb_build_array(prior, recent) END AS falling,
           CASE WHEN prior >= 2 AND recent * 2 <= prior
                THEN %(falling_activity)s END AS falling_points
    FROM paced
),
scored AS (
    SELECT *,
           greatest(0, least(100, round(
               coalesce(inactive_points, 0) + coalesce(behind_points, 0)
               + coalesce(overdue_points, 0) + coalesce(missed_points, 0)
               + coalesce(failed_points, 0) + coalesce(payment_points, 0)
               + coalesce(falling_points, 0)
           )))::int AS score
    FROM factors
)
INSERT INTO engagement_riskscore (student_id, score, level, factors, computed_at)
SELECT id, score,
       CASE WHEN score >= %(high_from)s THEN %(high)s
            WHEN score >= %(medium_from)s THEN %(medium)s ELSE %(low)s END,
       -- The list in `factors_for`'s order, without the factors that do not apply.
       to_jsonb(array_remove(ARRAY[
           CASE WHEN inactive IS NOT NULL THEN jsonb_build_object(
               'factor', 'inactive', 'value', inactive,
               'points', inactive_points::float8) END,
           CASE WHEN behind_pace IS NOT NULL THEN jsonb_build_object(
               'factor', 'behind_pace', 'value', behind_pace,
               'points', behind_points::float8) END,
           CASE WHEN overdue IS NOT NULL THEN jsonb_build_object(
               'factor', 'overdue_work', 'value', overdue,
               'points', overdue_points::float8) END,
           CASE WHEN missed IS NOT NULL THEN jsonb_build_object(
               'factor', 'missed_webinars', 'value', missed,
               'points', missed_points::float8) END,
           CASE WHEN failed IS NOT NULL THEN jsonb_build_object(
               'factor', 'failed_quizzes', 'value', failed,
               'points', failed_points::float8) END,
           CASE WHEN payment_points IS NOT NULL THEN jsonb_build_object(
               'factor', 'failed_payment', 'value', true,
               'points', payment_points::float8) END,
           CASE WHEN falling IS NOT NULL THEN jsonb_build_object(
               'factor', 'falling_activity', 'value', falling,
               'points', falling_points::float8) END
       ], NULL)),
       %(now)s
FROM scored
ON CONFLICT (student_id) DO UPDATE
SET score = EXCLUDED.score, level = EXCLUDED.level, factors = EXCLUDED.factors,
    computed_at = EXCLUDED.computed_at
"""


def upsert_scores_in_sql(*, now, weights, statuses):
    """Score and store every student whose status is in `statuses`; returns how many."""
    params = {
        "now": now,
        "week": now - timedelta(days=7),
        "fortnight": now - timedelta(days=14),
        "month": now - timedelta(days=30),
        "missed": ActivityKind.WEBINAR_MISSED.value,
        "statuses": [str(status) for status in statuses],
        "past_due": Student.Status.PAST_DUE.value,
        "grace": weights.inactive_grace_days,
        "course_days": max(weights.expected_course_days, 1),
        "per_inactive_day": Decimal(weights.per_inactive_day),
        "per_10_percent_behind": Decimal(weights.per_10_percent_behind),
        "per_overdue_assignment": Decimal(weights.per_overdue_assignment),
        "per_missed_webinar": Decimal(weights.per_missed_webinar),
        "per_failed_quiz": Decimal(weights.per_failed_quiz),
        "failed_payment": Decimal(weights.failed_payment),
        "falling_activity": Decimal(weights.falling_activity),
        "high_from": weights.high_from,
        "medium_from": weights.medium_from,
        "high": RiskLevel.HIGH.value,
        "medium": RiskLevel.MEDIUM.value,
        "low": RiskLevel.LOW.value,
    }
    with connection.cursor() as cursor:
        cursor.execute(UPSERT, params)
        return cursor.rowcount
