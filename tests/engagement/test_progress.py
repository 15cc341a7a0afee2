from datetime import timedelta

import pytest
from django.db import connection

from content.models import QuizAttempt
from content.signals import lesson_completed, lesson_published, lesson_viewed, quiz_attempted
from engagement.models import ActivityEvent, ActivityKind, PlanCurriculum, StudentProgress
from engagement.services.activity import Activity, record_activity
from engagement.services.progress import progress_for
from tests.engagement.conftest import NOW

pytestmark = pytest.mark.django_db


def sign_in(student, at):
    return record_activity(
        Activity(student=student, kind=ActivityKind.SIGN_IN, occurred_at=at, source="portal")
    )


def test_a_lesson_completed_twice_counts_once_and_percent_uses_the_plans_lessons(
    student, make_lesson
):
    lessons = [make_lesson(f"Lección {n}") for n in range(4)]
    for lesson in lessons:
        lesson_published.send(sender=type(lesson), lesson=lesson)
    lesson_published.send(sender=type(lessons[0]), lesson=lessons[0])  # published again

    lesson_completed.send(sender=None, lesson=lessons[0], student=student, at=NOW)
    lesson_completed.send(sender=None, lesson=lessons[0], student=student, at=NOW)
    lesson_viewed.send(sender=None, lesson=lessons[1], student=student, at=NOW)

    progress = progress_for(student, now=NOW)
    assert PlanCurriculum.objects.get(plan=student.plan).lessons_total == 4
    assert (progress.lessons_completed, progress.lessons_total, progress.percent) == (1, 4, 25)
    assert progress.last_activity_at == NOW
    assert ActivityEvent.objects.filter(student=student).count() == 3


def test_a_quiz_attempt_is_recorded_once_and_a_low_score_counts_as_failed(student, make_lesson):
    lesson = make_lesson()
    attempt = QuizAttempt.objects.create(
        lesson=lesson, student=student, answers={}, score=2, max_score=10, created_at=NOW
    )
    for _ in range(2):
        quiz_attempted.send(
            sender=None, attempt=attempt, lesson=lesson, student=student,
            score=2, max_score=10, at=NOW,
        )  # fmt: skip

    progress = StudentProgress.objects.get(student=student)
    assert (progress.quizzes_attempted, progress.quizzes_failed) == (1, 1)
    event = ActivityEvent.objects.get(student=student)
    assert event.target == lesson
    assert event.metadata == {"attempt_id": attempt.pk, "score": 2, "max_score": 10}


def test_the_streak_counts_days_in_the_students_time_zone(student):
    # 23:30 and 00:30 in Mexico City are two days even though both are the same UTC day.
    sign_in(student, NOW.replace(hour=5, minute=30))  # 23:30 on the 19th, local
    sign_in(student, NOW.replace(hour=6, minute=30))  # 00:30 on the 20th, local
    sign_in(student, NOW)  # same local day again

    progress = StudentProgress.objects.get(student=student)
    assert (progress.streak_days, progress.longest_streak) == (2, 2)
    assert progress_for(student, now=NOW + timedelta(days=1)).streak_days == 2
    assert progress_for(student, now=NOW + timedelta(days=2)).streak_days == 0


def test_a_gap_restarts_the_streak_and_a_late_old_event_changes_neither(student):
    for day in range(3):
        sign_in(student, NOW + timedelta(days=day))
    sign_in(student, NOW + timedelta(days=5))
    sign_in(student, NOW - timedelta(days=10))  # reported late

    progress = StudentProgress.objects.get(student=student)
    assert (progress.streak_days, progress.longest_streak) == (1, 3)
    assert progress.last_activity_at == NOW + timedelta(days=5)
    assert progress.events_count == 5


def test_a_missed_webinar_is_recorded_but_is_not_activity(student):
    record_activity(
        Activity(
            student=student, kind=ActivityKind.WEBINAR_MISSED, occurred_at=NOW,
            source="webinars", external_id="registration:1:missed",
        )
    )  # fmt: skip

    progress = StudentProgress.objects.get(student=student)
    assert (progress.webinars_missed, progress.last_activity_at, progress.streak_days) == (
        1,
        None,
        0,
    )


@pytest.mark.django_db(transaction=True)
def test_events_for_one_student_from_two_threads_at_once_all_count(student, make_lesson):
    import threading

    lessons = [make_lesson(f"L{n}") for n in range(20)]
    start = threading.Barrier(2)

    def complete(chunk):
        try:
            start.wait(5)
            for lesson in chunk:
                lesson_completed.send(sender=None, lesson=lesson, student=student, at=NOW)
        finally:
            connection.close()

    threads = [threading.Thread(target=complete, args=(lessons[n::2],)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    progress = StudentProgress.objects.get(student=student)
    assert progress.lessons_completed == 20
    assert progress.events_count == 20
    assert progress.streak_days == 1
