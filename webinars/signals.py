"""Signals the webinars app sends, and its receivers of lower floors' signals."""

from django.dispatch import Signal, receiver

from courseops.messaging.hooks import messages_withheld
from students.signals import student_onboarded, student_plan_changed

# Someone registered for a webinar (a student or a lead), sent after commit; marketing
# keeps leads from it. kwargs: registration, webinar
webinar_registered = Signal()

# Attendance is known for a registrant (Zoom webhook or report, CSV import, tracked join).
# Sent once per registration when it first counts as attended.
# kwargs: registration, webinar, student (None for a lead), minutes
webinar_attended = Signal()

# A finished webinar's registrant did not attend; sent once per registration when the
# webinar's attendance is settled.
# kwargs: registration, webinar, student (None for a lead)
webinar_missed = Signal()

# A student reached a share of a webinar's recording on the portal's replay page (25, 50,
# 75, 90 %); sent after commit, once per student, recording and milestone.
# kwargs: recording, webinar, student, percent, at
recording_watched = Signal()

# A webinar moved; sent inside the transaction that moves it. Its social-post drafts were
# superseded (they name the old date): whoever scheduled their texts withdraws them.
# kwargs: webinar, previous (the old start), superseded_drafts (Draft ids)
webinar_rescheduled = Signal()


@receiver(student_onboarded, dispatch_uid="webinars.register_onboarded_student")
def register_new_student(sender, student, **kwargs):
    from webinars.services import register_onboarded_student

    return register_onboarded_student(student=student)


@receiver(student_plan_changed, dispatch_uid="webinars.register_student_to_new_plan")
def register_student_to_new_plan(sender, student, **kwargs):
    from webinars.services import register_onboarded_student

    return register_onboarded_student(student=student)


@receiver(messages_withheld, dispatch_uid="webinars.reminder_messages_withheld")
def reminder_messages_withheld(sender, withheld, **kwargs):
    from webinars.services.reminders import reminder_messages_ended

    ended = [pk for pk, status in withheld.items() if status in ("canceled", "dropped")]
    if ended:
        reminder_messages_ended(message_ids=ended)
