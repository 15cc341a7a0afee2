"""How many lessons each plan offers: the denominator of a student's percent done."""

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import F

from engagement.models import PlanCurriculum, PublishedLesson
from students.models import Plan


def plans_for_lesson(lesson):
    """The plans whose students get this lesson: its course's `plans` when the course
    says (a many-to-many to `students.Plan`), else every active plan."""
    plans = getattr(getattr(lesson, "course", None), "plans", None)
    if plans is not None and hasattr(plans, "all"):
        return list(plans.all())
    return list(Plan.objects.filter(active=True))


def count_published_lesson(*, lesson):
    """Add a newly published lesson to its plans' totals, once per lesson."""
    ref = f"ct{ContentType.objects.get_for_model(lesson).pk}:{lesson.pk}"
    with transaction.atomic():
        try:
            with transaction.atomic():
                PublishedLesson.objects.create(lesson_ref=ref)
        except IntegrityError:
            return False
        for plan in plans_for_lesson(lesson):
            PlanCurriculum.objects.get_or_create(plan=plan)
            PlanCurriculum.objects.filter(plan=plan).update(lessons_total=F("lessons_total") + 1)
    return True
