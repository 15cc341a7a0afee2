"""Marketing listens to the floors below (students, webinars, and content's lesson news)
and to the outbox; it sends nothing down."""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from content.signals import lesson_published
from courseops.messaging.hooks import address_suppressed
from marketing.models import Consent, Lead
from students.models import Student, Subscription
from students.signals import (
    checkout_abandoned,
    checkout_started,
    student_signed_in,
    subscription_cancelled,
    typeform_lead_received,
)
from webinars.signals import (
    webinar_attended,
    webinar_missed,
    webinar_registered,
    webinar_rescheduled,
)


@receiver(address_suppressed, dispatch_uid="marketing.withdraw_on_suppression")
def withdraw_on_suppression(sender, channel, address, reason, source, **kwargs):
    from marketing.services.consent import withdraw_for_suppressed_address

    withdraw_for_suppressed_address(channel=channel, address=address, reason=reason, source=source)


@receiver(post_save, sender=Student, dispatch_uid="marketing.link_new_student")
def link_new_student(sender, instance, created, update_fields=None, **kwargs):
    if created:
        from marketing.services.leads import link_student

        link_student(instance)
    elif instance.status == Student.Status.ACTIVE and "status" in (update_fields or ()):
        from marketing.services.intake import student_reactivated

        student_reactivated(instance)


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


@receiver(checkout_started, dispatch_uid="marketing.checkout_started")
def score_checkout_started(sender, email, plan, session_id, **kwargs):
    from marketing.services.intake import checkout_started as started

    started(email=email, session_id=session_id, plan=plan)


@receiver(checkout_abandoned, dispatch_uid="marketing.checkout_abandoned")
def enrol_checkout_abandoned(sender, email, plan, session_id, **kwargs):
    from marketing.services.intake import checkout_abandoned as abandoned

    abandoned(email=email)


@receiver(subscription_cancelled, dispatch_uid="marketing.subscription_cancelled")
def win_back(sender, student, subscription, **kwargs):
    from marketing.services.intake import subscription_cancelled as cancelled

    cancelled(student=student)


@receiver(lesson_published, dispatch_uid="marketing.lesson_social_posts")
def draft_lesson_social_posts(sender, lesson, **kwargs):
    from marketing.tasks import draft_lesson_social_posts as draft

    transaction.on_commit(lambda: draft.delay(lesson.pk))


@receiver(lesson_published, dispatch_uid="marketing.lesson_blog_post")
def send_lesson_to_blog(sender, lesson, **kwargs):
    from marketing.blog.wordpress import configured, has_summary, post_owed
    from marketing.tasks import sync_blog_post

    if configured() and has_summary(lesson):
        post_owed(lesson_ids=[lesson.pk])  # the row is the record: `retry_due` finds it
        transaction.on_commit(lambda: sync_blog_post.delay(lesson.pk))


@receiver(webinar_rescheduled, dispatch_uid="marketing.withdraw_stale_webinar_posts")
def withdraw_stale_webinar_posts(sender, webinar, superseded_drafts, **kwargs):
    from marketing.social.schedule import withdraw_posts_of_drafts

    withdraw_posts_of_drafts(draft_ids=superseded_drafts)


# HubSpot: a change marks the person's (or subscription's) row; saves that only touch the
# score or the last-seen time change nothing HubSpot holds.
UNSYNCED_LEAD_FIELDS = {"score_points", "last_seen_at", "updated_at"}
SYNCED_STUDENT_FIELDS = {"full_name", "email", "phone", "plan", "status"}


@receiver(post_save, sender=Lead, dispatch_uid="marketing.hubspot_lead")
def hubspot_lead(sender, instance, update_fields=None, **kwargs):
    if update_fields is None or set(update_fields) - UNSYNCED_LEAD_FIELDS:
        from marketing.crm.services import request_contact_sync

        request_contact_sync(instance.email)


@receiver(post_save, sender=Consent, dispatch_uid="marketing.hubspot_consent")
def hubspot_consent(sender, instance, **kwargs):
    from marketing.crm.services import request_contact_sync

    request_contact_sync(instance.lead.email)


@receiver(post_save, sender=Student, dispatch_uid="marketing.hubspot_student")
def hubspot_student(sender, instance, update_fields=None, **kwargs):
    if update_fields is None or set(update_fields) & SYNCED_STUDENT_FIELDS:
        from marketing.crm.services import request_contact_sync

        request_contact_sync(instance.email)


@receiver(post_save, sender=Subscription, dispatch_uid="marketing.hubspot_subscription")
def hubspot_subscription(sender, instance, **kwargs):
    from marketing.crm.services import request_deal_sync

    request_deal_sync(instance)


@receiver(post_save, sender=Subscription, dispatch_uid="marketing.ga4_purchase")
def ga4_purchase(sender, instance, created, **kwargs):
    if created and instance.status in ("active", "trialing"):
        from marketing.services.intake import subscription_started

        subscription_started(subscription=instance)
