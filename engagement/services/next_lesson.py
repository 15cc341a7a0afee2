"""The next relevant lesson for a student: the first published lesson of their plan's
courses they have not completed in the content app (in the portal's order: course title,
lesson order).

It is two correlated subqueries added to the scan's own query, so finding it for every
candidate costs no query per student.
"""

from django.db.models import Exists, OuterRef, Subquery

from content.models import Lesson, LessonProgress
from content.services.publishing import lesson_url


def _next_lesson(field):
    completed = LessonProgress.objects.filter(
        lesson=OuterRef("pk"), student=OuterRef(OuterRef("pk")), completed_at__isnull=False
    )
    lessons = (
        Lesson.objects.filter(course__plans=OuterRef("plan_id"), published_at__isnull=False)
        .filter(~Exists(completed))
        .order_by("course__title", "order", "pk")
        .values(field)[:1]
    )
    return Subquery(lessons)


def next_lesson_annotations():
    """For a queryset of students: `next_lesson_id` and `next_lesson_title`."""
    return {"next_lesson_id": _next_lesson("pk"), "next_lesson_title": _next_lesson("title")}


def next_lesson_url(lesson_id):
    return lesson_url(Lesson(pk=lesson_id))
