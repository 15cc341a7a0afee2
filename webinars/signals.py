"""Signals the webinars app sends, and its receivers of lower floors' signals."""

from django.dispatch import Signal, receiver

from students.signals import student_onboarded

# A reminder with `push` is due for one registrant: web push code connects here.
# kwargs: registration, reminder
webinar_push = Signal()


@receiver(student_onboarded, dispatch_uid="webinars.register_onboarded_student")
def register_new_student(sender, student, **kwargs):
    from webinars.services import register_onboarded_student

    return register_onboarded_student(student=student)
