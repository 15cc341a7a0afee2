"""Reading a student's progress (the portal page, the API, the admin, the apps above)."""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from engagement.models import CompletedLesson, PlanCurriculum, StudentProgress
from engagement.services.activity import local_day
from engagement.services.assignments import pending_and_overdue
from students.models import Student


@dataclass(frozen=True)
class Progress:
    last_activity_at: datetime | None
    lessons_completed: int
    lessons_total: int
    percent: int
    quizzes_attempted: int
    webinars_attended: int
    webinars_missed: int
    streak_days: int
    longest_streak: int
    days_inactive: int | None
    assignments_pending: int
    assignments_overdue: int

    def as_dict(self):
        return asdict(self)


def current_streak(progress, *, time_zone, now=None):
    """The streak still counts today if the student was active today or yesterday."""
    if not progress.streak_last_day:
        return 0
    today = local_day(now or timezone.now(), time_zone)
    return progress.streak_days if progress.streak_last_day >= today - timedelta(days=1) else 0


def progress_for(student, *, now=None) -> Progress:
    now = now or timezone.now()
    progress = StudentProgress.objects.filter(student=student).first() or StudentProgress(
        student=student
    )
    curriculum = PlanCurriculum.objects.filter(plan_id=student.plan_id).first()
    total = curriculum.lessons_total if curriculum else 0
    last = progress.last_activity_at
    pending, overdue = pending_and_overdue(student, now=now)
    return Progress(
        last_activity_at=last,
        lessons_completed=progress.lessons_completed,
        lessons_total=total,
        percent=progress.percent_of(total),
        quizzes_attempted=progress.quizzes_attempted,
        webinars_attended=progress.webinars_attended,
        webinars_missed=progress.webinars_missed,
        streak_days=current_streak(progress, time_zone=student.time_zone, now=now),
        longest_streak=progress.longest_streak,
        days_inactive=(now - last).days if last else None,
        assignments_pending=pending,
        assignments_overdue=overdue,
    )


def lessons_elsewhere(student):
    """How many of the plan's lessons live in an external LMS (counted by staff), not in
    the portal: said next to the plan's total so it is not read as the portal's."""
    curriculum = PlanCurriculum.objects.filter(plan_id=student.plan_id).first()
    return curriculum.external_lessons if curriculum else 0


def students_who_finished(*, since, until):
    """Students who have finished every lesson of their plan's curriculum (portal or LMS)
    and whose last lesson was finished in (since, until]: when they finished the course.
    One queryset (a subquery per row), for the apps above (surveys' course-end NPS)."""
    finished_lately = CompletedLesson.objects.filter(
        student=OuterRef("pk"), completed_at__gt=since, completed_at__lte=until
    )
    return Student.objects.filter(
        plan__curriculum__lessons_total__gt=0,
        progress__lessons_completed__gte=F("plan__curriculum__lessons_total"),
    ).filter(Exists(finished_lately))
