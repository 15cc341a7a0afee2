"""Engagement listens to the floors below: sign-ins, lessons, quizzes, webinars.

Each receiver turns the signal into an `ActivityEvent` (which moves the student's
progress). Attendance and quiz attempts carry our own id for the fact, so a signal sent
again records nothing new; views and sign-ins are recorded each time they happen.
Anymail's `inbound` (email to the help address) becomes a question for the FAQ.
"""

from anymail.signals import inbound
from django.db.models.signals import m2m_changed, post_delete
from django.dispatch import receiver

from content.models import Course, Lesson
from content.signals import (
    lesson_completed,
    lesson_published,
    lesson_viewed,
    lesson_watched,
    quiz_attempted,
)
from courseops.messaging.hooks import message_released, messages_withheld
from engagement.models import ActivityKind, ActivitySource
from engagement.services.activity import Activity, record_activity
from engagement.services.nudges import nudges_released, nudges_withheld
from students.signals import student_signed_in
from webinars.signals import recording_watched, webinar_attended, webinar_missed


@receiver(student_signed_in, dispatch_uid="engagement.student_signed_in")
def on_student_signed_in(sender, student, at, source="portal", **kwargs):
    record_activity(
        Activity(
            student=student,
            kind=ActivityKind.SIGN_IN,
            occurred_at=at,
            source=source if source in ActivitySource.values else ActivitySource.PORTAL,
        )
    )


@receiver(webinar_attended, dispatch_uid="engagement.webinar_attended")
def on_webinar_attended(sender, registration, webinar, student=None, minutes=None, **kwargs):
    if student is None:  # a lead, not a student: marketing's business
        return
    record_activity(
        Activity(
            student=student,
            kind=ActivityKind.WEBINAR_ATTENDED,
            occurred_at=webinar.starts_at,
            source=ActivitySource.WEBINARS,
            external_id=f"registration:{registration.pk}:attended",
            target=webinar,
            metadata={"registration_id": registration.pk, "minutes": minutes},
        )
    )


@receiver(webinar_missed, dispatch_uid="engagement.webinar_missed")
def on_webinar_missed(sender, registration, webinar, student=None, **kwargs):
    if student is None:
        return
    record_activity(
        Activity(
            student=student,
            kind=ActivityKind.WEBINAR_MISSED,
            occurred_at=webinar.starts_at,
            source=ActivitySource.WEBINARS,
            external_id=f"registration:{registration.pk}:missed",
            target=webinar,
            metadata={"registration_id": registration.pk},
        )
    )


@receiver(recording_watched, dispatch_uid="engagement.recording_watched")
def on_recording_watched(sender, recording, webinar, student, percent, at, **kwargs):
    record_activity(
        Activity(
            student=student,
            kind=ActivityKind.RECORDING_WATCHED,
            occurred_at=at,
            source=ActivitySource.WEBINARS,
            # One event per milestone, however often the player reports it.
            external_id=f"recording-watched:{recording.pk}:{student.pk}:{percent}",
            target=webinar,
            metadata={"percent": percent, "recording_id": recording.pk},
        )
    )


@receiver(lesson_viewed, dispatch_uid="engagement.lesson_viewed")
def on_lesson_viewed(sender, lesson, student, at, **kwargs):
    record_activity(
        Activity(
            student=student,
            kind=ActivityKind.LESSON_VIEWED,
            occurred_at=at,
            source=ActivitySource.CONTENT,
            target=lesson,
        )
    )


@receiver(lesson_watched, dispatch_uid="engagement.lesson_watched")
def on_lesson_watched(sender, lesson, student, percent, at, **kwargs):
    record_activity(
        Activity(
            student=student,
            kind=ActivityKind.LESSON_WATCHED,
            occurred_at=at,
            source=ActivitySource.CONTENT,
            # One event per milestone, however often the player reports it.
            external_id=f"lesson-watched:{lesson.pk}:{student.pk}:{percent}",
            target=lesson,
            metadata={"percent": percent},
        )
    )


@receiver(lesson_completed, dispatch_uid="engagement.lesson_completed")
def on_lesson_completed(sender, lesson, student, at, **kwargs):
    record_activity(
        Activity(
            student=student,
            kind=ActivityKind.LESSON_COMPLETED,
            occurred_at=at,
            source=ActivitySource.CONTENT,
            target=lesson,
        )
    )


@receiver(quiz_attempted, dispatch_uid="engagement.quiz_attempted")
def on_quiz_attempted(sender, attempt, lesson, student, score, max_score, at, **kwargs):
    record_activity(
        Activity(
            student=student,
            kind=ActivityKind.QUIZ_ATTEMPTED,
            occurred_at=at,
            source=ActivitySource.CONTENT,
            external_id=f"quiz-attempt:{attempt.pk}",
            target=lesson,
            metadata={"attempt_id": attempt.pk, "score": score, "max_score": max_score},
        )
    )


@receiver(lesson_published, dispatch_uid="engagement.lesson_published")
def on_lesson_published(sender, lesson, **kwargs):
    from engagement.services.curriculum import plan_ids_for_course, refresh_curricula

    refresh_curricula(plan_ids=plan_ids_for_course(lesson.course_id))


@receiver(post_delete, sender=Lesson, dispatch_uid="engagement.lesson_deleted")
def on_lesson_deleted(sender, instance, **kwargs):
    from engagement.services.curriculum import plan_ids_for_course, refresh_curricula

    if instance.published_at is not None:
        refresh_curricula(plan_ids=plan_ids_for_course(instance.course_id))


@receiver(m2m_changed, sender=Course.plans.through, dispatch_uid="engagement.course_plans")
def on_course_plans_changed(sender, instance, action, reverse, pk_set=None, **kwargs):
    """A course given to or taken from plans changes those plans' totals."""
    from engagement.services.curriculum import refresh_curricula

    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if reverse:  # plan.courses.add(...): the plan is the instance
        refresh_curricula(plan_ids=[instance.pk])
    else:
        refresh_curricula(plan_ids=None if action == "post_clear" else pk_set)


@receiver(inbound, dispatch_uid="engagement.inbound_question")
def on_inbound_email(sender, event, esp_name, **kwargs):
    from engagement.services.faq import question_from_email

    question_from_email(event.message)


@receiver(messages_withheld, dispatch_uid="engagement.messages_withheld")
def on_messages_withheld(sender, withheld, **kwargs):
    nudges_withheld(withheld=withheld)


@receiver(message_released, dispatch_uid="engagement.message_released")
def on_message_released(sender, message, **kwargs):
    nudges_released(message_ids=[message.pk])
