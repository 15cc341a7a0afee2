"""Nurture sequences: entering, walking the steps exactly once, stopping at the goal.

The runner claims due enrolments with SKIP LOCKED; for each it does the next step and
records it as done in the same transaction that queues the message (outbox key per
enrolment and step), so a crash repeats nothing and skips nothing. Quiet hours, consent
and the person's budget are the outbox's: a step's message waits for the morning there.

Editing a sequence: an enrolment remembers the order of the last step it did and always
continues with the first step after it. A step removed ahead of it is simply not taken,
a step added ahead of it is, a step inserted before its position is not (it is past).
"""

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import escape, strip_tags

from courseops.ai import AIError, generate
from courseops.audit.services import log_action
from courseops.messaging.models import Category
from courseops.messaging.services import queue_email, queue_sms
from courseops.reviews.sanitize import email_text
from courseops.reviews.services import create_draft
from marketing.models import Activity, Consent, Enrolment, Purpose, Sequence, Stage, Step
from marketing.offers.checkout import live_offer, offer_for_message, personal_link
from marketing.senders import from_email
from marketing.services.consent import preferences_url

BATCH = 200
RETRY_AFTER = timedelta(hours=1)
# A step held for a consent the person was asked for: looked at again this often (the
# confirmation itself wakes the enrolment at once; this is the safety net).
CONSENT_RECHECK = timedelta(hours=6)
STEP_PURPOSE = {Step.Kind.EMAIL: Purpose.NEWSLETTER, Step.Kind.SMS: Purpose.MARKETING_SMS}
PERSONALISE_LEASE = timedelta(minutes=15)
logger = logging.getLogger(__name__)


def enrol(*, lead, trigger, form=None):
    """Put `lead` in every active sequence with this trigger (once per sequence)."""
    sequences = Sequence.objects.filter(active=True, trigger=trigger)
    if trigger == Sequence.Trigger.FORM:
        sequences = sequences.filter(trigger_form=form)
    enrolled = []
    for sequence in sequences:
        try:
            with transaction.atomic():
                enrolled.append(Enrolment.objects.create(sequence=sequence, lead=lead))
        except IntegrityError:
            continue  # already in it: a sequence is walked once
        log_action(lead, "marketing.sequence.enrolled", data={"sequence": sequence.pk})
    return enrolled


def submit_step(*, step):
    """A step's template goes through review (kind `sequence_email`) before it is used."""
    return create_draft(kind="sequence_email", target=step, subject=step.subject, body=step.body)


def sequence_step_apply(draft, user):
    Step.objects.filter(pk=draft.object_id).update(
        approved_subject=draft.subject, approved_body=draft.body
    )


def _reached_goal(lead):
    """Bought a plan: a customer; a churned contact only once they are a customer again."""
    return lead.stage == Stage.CUSTOMER or (
        lead.student_id is not None and lead.stage != Stage.CHURNED
    )


def _condition_met(step, enrolment):
    actions = Activity.objects.filter(lead=enrolment.lead, occurred_at__gte=enrolment.enrolled_at)
    if step.condition == Step.Condition.CLICKED:
        return actions.filter(action="clicked").exists()
    if step.condition == Step.Condition.REGISTERED:
        return actions.filter(action="webinar_registered").exists()
    return False


def _merge(text, lead, personal=""):
    first_name = lead.name.split()[0] if lead.name else ""
    return text.replace("{nombre}", first_name).replace("{personal}", personal)


def _needs_line(step, enrolment):
    return "{personal}" in step.approved_body and enrolment.personal_step_id != step.pk


def personalise(*, enrolment, step):
    """Ask the AI for the contact's sentence for `step` (outside any transaction: a
    network call), store it and make the enrolment due again. If the AI is unavailable
    the email goes without the sentence rather than not at all."""
    lead = enrolment.lead
    recent = [
        activity.get_action_display().lower()
        for activity in Activity.objects.filter(lead=lead).order_by("-occurred_at")[:3]
    ]
    try:
        result = generate(
            "sequence_personal_line",
            {
                "name": lead.name.split()[0] if lead.name else "",
                "step_subject": step.approved_subject or step.subject,
                "interests": list(lead.interests.values_list("name", flat=True)[:5]),
                "recent": recent,
            },
            language=lead.language,
            requested_by="marketing.sequence",
            subject=lead,
        )
        line = " ".join(strip_tags(result.data["line"]).split())[:300]
    except AIError:
        logger.warning("marketing.sequence.no_personal_line", extra={"id": enrolment.pk})
        line = ""
    return Enrolment.objects.filter(
        pk=enrolment.pk, status=Enrolment.Status.ACTIVE, done_position__lt=step.position
    ).update(personal_line=escape(line), personal_step=step, next_run_at=timezone.now())


def _offer_for(step, lead, now):
    """The step's offer (while live) with the contact's personal link, or None."""
    offer = live_offer(step.offer, now=now)
    if offer is None:
        return None
    link = personal_link(offer=offer, lead=lead, step_id=step.pk)
    return offer_for_message(offer, url=link)


def _send(step, enrolment, now=None):
    lead = enrolment.lead
    key = f"marketing.sequence.{enrolment.pk}.step.{step.pk}"
    offer = _offer_for(step, lead, now)
    if step.kind == Step.Kind.EMAIL:
        body = _merge(step.approved_body, lead, enrolment.personal_line)
        return queue_email(
            to=lead.email,
            idempotency_key=key,
            subject=_merge(step.approved_subject, lead),
            template="marketing/sequence",
            context={
                "subject": _merge(step.approved_subject, lead),
                "body_html": body,
                "body_text": email_text(body),
                "preferences_url": preferences_url(lead),
                "offer": offer,
            },
            category=Category.MARKETING,
            language=lead.language,
            related=enrolment,
            from_email=from_email(enrolment.sequence),
        )
    if lead.phone:
        body = _merge(step.approved_body, lead)
        if offer is not None:
            body += f" {offer['code']}: {offer['url']}"
        return queue_sms(
            to=lead.phone,
            idempotency_key=key,
            body=body,
            category=Category.MARKETING,
            related=enrolment,
        )
    return None


def _consent_pending(step, lead):
    """Whether the step's consent may still come: asked (pending) and not granted. A
    consent never asked for or withdrawn will not come: the outbox decides as before."""
    consents = Consent.objects.filter(lead=lead, purpose=STEP_PURPOSE[step.kind])
    return (
        consents.filter(status=Consent.Status.PENDING).exists()
        and not consents.filter(status=Consent.Status.GRANTED).exists()
    )


def wake_for_consent(*, lead, purposes, now=None):
    """The person confirmed: their enrolments held for these consents continue now."""
    return Enrolment.objects.filter(
        lead=lead, status=Enrolment.Status.ACTIVE, waiting_for_consent__in=list(purposes)
    ).update(next_run_at=now or timezone.now(), waiting_for_consent="")


def advance_enrolment(enrolment, *, now):
    """Do the next step of a claimed enrolment (inside the caller's transaction)."""
    lead = enrolment.lead
    if _reached_goal(lead):
        enrolment.status, enrolment.finished_at = Enrolment.Status.GOAL, now
        log_action(lead, "marketing.sequence.goal", data={"sequence": enrolment.sequence_id})
        return
    step = (
        enrolment.sequence.steps.filter(position__gt=enrolment.done_position)
        .select_related("offer")
        .order_by("position")
        .first()
    )
    if step is None:
        enrolment.status, enrolment.finished_at = Enrolment.Status.COMPLETED, now
        return
    if step.kind in (Step.Kind.EMAIL, Step.Kind.SMS):
        if not step.approved_body:
            enrolment.next_run_at = now + timedelta(hours=1)  # waits for the review
            return
        if _consent_pending(step, enrolment.lead):
            # Asked and not confirmed yet (double opt-in): the outbox would refuse the
            # message and the step would be lost; it waits for the confirmation instead.
            enrolment.waiting_for_consent = STEP_PURPOSE[step.kind]
            enrolment.next_run_at = now + CONSENT_RECHECK
            return
        enrolment.waiting_for_consent = ""
        if _needs_line(step, enrolment):
            # The AI writes the contact's sentence in a task; until it is back (or the
            # lease ends, if the task was lost) the enrolment is not due.
            from marketing.tasks import personalise_sequence_step

            transaction.on_commit(lambda: personalise_sequence_step.delay(enrolment.pk, step.pk))
            enrolment.next_run_at = now + PERSONALISE_LEASE
            return
        _send(step, enrolment, now)
    enrolment.done_position = step.position
    enrolment.next_run_at = now
    if step.kind == Step.Kind.WAIT:
        enrolment.next_run_at = now + timedelta(days=step.wait_days)
    elif step.kind == Step.Kind.BRANCH and step.jump_to and _condition_met(step, enrolment):
        enrolment.done_position = step.jump_to - 1  # the next step is the one jumped to


def run_sequences(*, now=None, batch_size=BATCH):
    """Every minute: due enrolments move one step each. Returns how many moved."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Enrolment.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("lead", "sequence")
            .filter(status=Enrolment.Status.ACTIVE, next_run_at__lte=now, sequence__active=True)
            .order_by("next_run_at")[:batch_size]
        )
        for enrolment in due:
            before = (enrolment.status, enrolment.done_position, enrolment.finished_at)
            try:
                with transaction.atomic():
                    advance_enrolment(enrolment, now=now)
            except Exception:
                # One bad contact must not block the batch (nor the beat): retry it later.
                logger.exception("marketing.sequence.step_failed", extra={"id": enrolment.pk})
                enrolment.status, enrolment.done_position, enrolment.finished_at = before
                enrolment.next_run_at = now + RETRY_AFTER
        Enrolment.objects.bulk_update(
            due, ["status", "done_position", "next_run_at", "finished_at", "waiting_for_consent"]
        )
    return len(due)
