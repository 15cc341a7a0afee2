"""Marketing listens to the floors below and to the outbox; it sends nothing down."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from courseops.messaging.hooks import address_suppressed
from students.models import Student
from students.signals import student_signed_in, typeform_lead_received
from webinars.signals import webinar_attended, webinar_missed, webinar_registered


@receiver(address_suppressed, dispatch_uid="marketing.withdraw_on_suppression")
def withdraw_on_suppression(sender, channel, address, reason, source, **kwargs):
    from marketing.services.consent import withdraw_for_suppressed_address

    withdraw_for_suppressed_address(channel=channel, address=address, reason=reason, source=source)


@receiver(post_save, sender=Student, dispatch_uid="marketing.link_new_student")
def link_new_student(sender, instance, created, **kwargs):
    if created:
        from marketing.services.leads import link_student

        link_student(instance)


@receiver(webinar_registered, dispatch_uid="marketing.webinar_registrant")
def keep_webinar_registrant(sender, registration, webinar, **kwargs):
    from marketing.services.intake import lead_from_webinar_registration

    lead_from_webinar_registration(registration=registration, webinar=webinar)


@receiver(webinar_attended, dispatch_uid="marketing.webinar_attendee")
def score_webinar_attendance(sender, registration, webinar, **kwargs):
    from marketing.services.intake import webinar_attendance

    webinar_attendance(registration=registration, webinar=webinar)


@receiver(webinar_missed, dispatch_uid="marketing.webinar_missed")
def enrol_webinar_no_show(sender, registration, webinar, **kwargs):
    from marketing.services.intake import webinar_missed as missed

    missed(registration=registration)


@receiver(student_signed_in, dispatch_uid="marketing.student_signed_in")
def note_sign_in(sender, student, at, **kwargs):
    from marketing.services.intake import student_signed_in as signed_in

    signed_in(student=student, at=at)


@receiver(typeform_lead_received, dispatch_uid="marketing.typeform_lead")
def lead_from_typeform(sender, form, data, consent_texts, external_id, **kwargs):
    from marketing.services.intake import lead_from_typeform as capture

    capture(form=form, data=data, consent_texts=consent_texts, external_id=external_id)
