"""How many lessons each plan offers: the denominator of a student's percent done.

A plan's total is recounted from the content app (its courses' published lessons) in one
query whenever that can change: a lesson published or deleted, a course's plans edited.
A recount is idempotent, so a lesson published again, or unpublished and republished,
never counts twice.
"""

from django.db.models import Count, F, Q

from engagement.models import PlanCurriculum
from students.models import Plan


def refresh_curricula(*, plan_ids=None):
    """Recount the given plans' totals (all plans when None); one query reads them all."""
    plans = Plan.objects.all() if plan_ids is None else Plan.objects.filter(pk__in=plan_ids)
    counts = plans.annotate(
        published=Count(
            "courses__lessons",
            filter=Q(courses__lessons__published_at__isnull=False),
            distinct=True,
        )
    ).values_list("pk", "published")
    counts = dict(counts)
    PlanCurriculum.objects.bulk_create(
        [PlanCurriculum(plan_id=pk) for pk in counts], ignore_conflicts=True
    )
    # One UPDATE per plan (plans are a handful, not a table that grows with students).
    for pk, published in counts.items():
        PlanCurriculum.objects.filter(plan_id=pk).update(
            lessons_total=published + F("external_lessons")
        )
    return len(counts)


def plan_ids_for_course(course_id):
    return list(Plan.objects.filter(courses=course_id).values_list("pk", flat=True))
