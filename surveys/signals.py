"""Receivers of the lower floors' signals."""

from django.db import transaction
from django.dispatch import receiver

from content.signals import lesson_completed


@receiver(lesson_completed, dispatch_uid="surveys.lesson_completed")
def lesson_survey(sender, lesson, student, **kwargs):
    from surveys.tasks import send_lesson_survey

    transaction.on_commit(lambda: send_lesson_survey.delay(lesson.pk, student.pk))
