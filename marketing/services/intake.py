"""Contacts from the news of the floors below: webinar registrations and attendance,
Typeform lead forms, sign-ins, checkouts and cancelled subscriptions."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from courseops.audit.services import log_action
from marketing.analytics.models import Conversion
from marketing.analytics.services import record_conversion
from marketing.models import Action, Lead, LeadForm, Sequence, Stage, Submission
from marketing.services.leads import capture_lead, find_lead
from marketing.services.scoring import record_action
from marketing.services.sequences import enrol


def lead_from_webinar_registration(*, registration, webinar):
    """A registrant becomes (or updates) a contact, scored for registering.

    A webinar registration is not consent to marketing: no consent is recorded here.
    """
    data = {
        "email": registration.email,
        "name": registration.name,
        "phone": registration.phone,
        "time_zone": registration.time_zone,
        "language": registration.language,
    }
    result = capture_lead(data=data, source="webinar", stage=Stage.WEBINAR_REGISTRANT)
    if result.errors and "email" not in result.errors:
        # The webinars app accepted this person; a detail our stricter checks refuse (a
        # number the outbox takes but no country plan knows) must not keep them out: drop it.
        for name in result.errors:
            data.pop(name, None)
        result = capture_lead(data=data, source="webinar", stage=Stage.WEBINAR_REGISTRANT)
    if result.lead is not None:
        record_action(
            lead=result.lead,
            action=Action.WEBINAR_REGISTERED,
            ref=f"registration:{registration.pk}",
            at=registration.created_at,
        )
    return result


def webinar_attendance(*, registration, webinar):
    lead = find_lead(registration.email)
    if lead is None:
        lead = lead_from_webinar_registration(registration=registration, webinar=webinar).lead
    if lead is not None:
        record_action(
            lead=lead, action=Action.WEBINAR_ATTENDED, ref=f"registration:{registration.pk}"
        )
        enrol(lead=lead, trigger=Sequence.Trigger.WEBINAR_ATTENDED)
    return lead


def webinar_missed(*, registration):
    lead = find_lead(registration.email)
    return enrol(lead=lead, trigger=Sequence.Trigger.WEBINAR_MISSED) if lead else []


def student_signed_in(*, student, at):
    """A sign-in is a human signal for the contact's best hour (it scores nothing)."""
    lead = find_lead(student.email)
    if lead is not None:
        record_action(lead=lead, action=Action.SIGNED_IN, ref=f"sign-in:{at.isoformat()}", at=at)
    return lead


def typeform_lead_form(form):
    """The lead form a Typeform lead form's responses come in through (made on first use:
    staff set its double opt-in, tags and sequences there)."""
    lead_form, _created = LeadForm.objects.get_or_create(
        typeform=form,
        defaults={"slug": f"typeform-{form.form_id.lower()}"[:50], "name": str(form)},
    )
    return lead_form


def lead_from_typeform(*, form, data, consent_texts, external_id):
    """A Typeform lead-form response becomes a contact, with the consent text the person
    saw in the form. Once per response token: a redelivery returns the first submission."""
    lead_form = typeform_lead_form(form)
    try:
        with transaction.atomic():
            submission = Submission.objects.create(
                source="typeform", external_id=external_id, form=lead_form, data=data
            )
            result = capture_lead(
                data={
                    **data,
                    "consent_text": consent_texts.get("consent", ""),
                    "sms_consent_text": consent_texts.get("sms_consent", ""),
                },
                source="typeform",
                form=lead_form,
            )
            submission.lead, submission.errors = result.lead, result.errors
            submission.save(update_fields=["lead", "errors"])
    except IntegrityError:
        return Submission.objects.get(source="typeform", external_id=external_id)
    return submission


def _contact(email, *, source, name=""):
    """The contact for `email`, made if new (without consent: paying is not agreeing to
    marketing). None if the email is not one we can keep."""
    lead = find_lead(email)
    if lead is None:
        lead = capture_lead(data={"email": email, "name": name}, source=source).lead
    return lead


def checkout_started(*, email, session_id, plan=None):
    lead = _contact(email, source="checkout")
    if lead is not None:
        record_action(lead=lead, action=Action.CHECKOUT_STARTED, ref=f"checkout:{session_id}")
        record_conversion(
            lead=lead,
            event=Conversion.Event.CHECKOUT,
            ref=session_id,
            params=plan_params(plan) if plan else {},
        )
    return lead


def plan_params(plan):
    """GA4's ecommerce parameters for a plan bought or about to be."""
    return {
        "currency": plan.currency,
        "value": float(plan.price),
        "items": [{"item_id": plan.slug, "item_name": plan.name, "price": float(plan.price)}],
    }


def subscription_started(*, subscription):
    """A new paid subscription is the purchase conversion (once per subscription)."""
    lead = find_lead(subscription.student.email)
    return record_conversion(
        lead=lead,
        event=Conversion.Event.PURCHASE,
        ref=subscription.stripe_subscription_id,
        params=plan_params(subscription.plan),
        at=subscription.started_at,
    )


def checkout_abandoned(*, email):
    lead = _contact(email, source="checkout")
    return enrol(lead=lead, trigger=Sequence.Trigger.CHECKOUT_ABANDONED) if lead else []


def subscription_cancelled(*, student):
    """The student's access ended: their contact is churned and enters the win-back
    sequences (until they buy again: see `student_reactivated`)."""
    lead = _contact(student.email, source="stripe", name=student.full_name)
    if lead is None:
        return []
    Lead.objects.filter(pk=lead.pk).update(stage=Stage.CHURNED, updated_at=timezone.now())
    log_action(lead, "marketing.lead.churned", data={"student": student.pk})
    return enrol(lead=lead, trigger=Sequence.Trigger.WIN_BACK)


def student_reactivated(student):
    """A churned contact whose student has access again is a customer again."""
    return Lead.objects.filter(student=student, stage=Stage.CHURNED).update(
        stage=Stage.CUSTOMER, updated_at=timezone.now()
    )
