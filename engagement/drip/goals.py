"""When a student has reached a drip step, from what is already recorded: engagement's
activity (sign-ins and everything done inside the portal or an LMS), the content app's
lesson progress, and webinar registrations and attendance.

One definition, as SQL `Exists` expressions on a student queryset, serves the scan (for
thousands of students in one query) and the "still true?" check of a single draft.
"""

from django.db.models import Exists, OuterRef, Q

from content.models import LessonProgress
from engagement.drip.models import DripGoal
from engagement.models import ActivityEvent, ActivityKind
from students.models import Student
from webinars.models import Registration

# Doing any of these needs the student inside the portal (or their LMS).
SIGNED_IN_KINDS = (
    ActivityKind.SIGN_IN,
    ActivityKind.LESSON_VIEWED,
    ActivityKind.LESSON_WATCHED,
    ActivityKind.LESSON_COMPLETED,
    ActivityKind.QUIZ_ATTEMPTED,
    ActivityKind.ASSIGNMENT_SUBMITTED,
    ActivityKind.QUESTION_ASKED,
)
LESSON_KINDS = (ActivityKind.LESSON_WATCHED, ActivityKind.LESSON_COMPLETED)


def _activity(kinds):
    return Exists(ActivityEvent.objects.filter(student=OuterRef("pk"), kind__in=kinds))


def reached(goal):
    """A boolean expression for a queryset of students: has this one reached `goal`?"""
    if goal == DripGoal.SIGN_IN:
        return _activity(SIGNED_IN_KINDS)
    if goal == DripGoal.FIRST_LESSON:
        # Watched part of a lesson's video or completed one (opening its page is not it).
        progress = LessonProgress.objects.filter(student=OuterRef("pk")).filter(
            Q(watched_percent__gt=0) | Q(completed_at__isnull=False)
        )
        return _activity(LESSON_KINDS) | Exists(progress)
    if goal == DripGoal.FIRST_WEBINAR:
        # Onboarding registers every student to the plan's webinars: only a registration
        # of their own (portal, page, API, staff) or an attendance is the step.
        own = Registration.objects.filter(
            student=OuterRef("pk"), cancelled_at__isnull=True
        ).exclude(source=Registration.Source.ONBOARDING)
        attended = Registration.objects.filter(student=OuterRef("pk"), attended=True)
        return _activity((ActivityKind.WEBINAR_ATTENDED,)) | Exists(own) | Exists(attended)
    raise ValueError(f"Unknown drip goal {goal!r}")


def has_reached(student, goal):
    return Student.objects.filter(pk=student.pk).filter(reached(goal)).exists()
