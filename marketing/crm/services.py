"""Keeping HubSpot in step with CourseOps.

A change (a contact, a consent, a student, a subscription) marks its `HubSpotSync` row
pending and enqueues it after the commit. The worker claims the row with a conditional
UPDATE, reads the current state (so a retry always sends the newest), upserts it by its
unique key and records the answer; a change that lands while it sends leaves the row
pending for one more pass. Transient failures retry with backoff up to
`HUBSPOT_MAX_ATTEMPTS`; permanent ones stop with the error shown to staff. A sweeper
sends rows that are due and takes over rows whose worker died.

What a contact carries depends on the legal basis we hold for it:
- a valid newsletter consent (art. 6.1.a): name, phone, stage and first source;
- a student without that consent (contract, art. 6.1.b): name, student id, customer stage;
- a contact with neither (legitimate interest, art. 6.1.f: they asked us for something):
  name and stage only. Losing consent clears the phone and source in HubSpot.
"""

from datetime import timedelta

import structlog
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from courseops.core.liveness import claim, enqueue_due, free_gone, retry_delay
from courseops.operations.privacy.registry import CONSENT, CONTRACT, LEGITIMATE_INTEREST
from marketing.crm import hubspot
from marketing.crm.models import HubSpotSync
from marketing.models import Lead, Purpose, Stage
from marketing.services.consent import valid_consent
from marketing.services.leads import find_lead, find_student
from students.models import Subscription

logger = structlog.get_logger(__name__)
Kind, State = HubSpotSync.Kind, HubSpotSync.State
ERASED_SUFFIX = "@erased.invalid"
MAX_BACKOFF = timedelta(hours=6)
# HubSpot's default lifecycle stages; a churned customer keeps "customer" there (HubSpot
# refuses moving a lifecycle stage backwards) and our own stage says the rest.
LIFECYCLE = {
    Stage.SUBSCRIBER: "subscriber",
    Stage.LEAD: "lead",
    Stage.WEBINAR_REGISTRANT: "lead",
    Stage.CUSTOMER: "customer",
}
WON = {"active", "trialing", "past_due"}
LOST = {"canceled", "unpaid", "incomplete_expired", "paused"}


def _normalised(email):
    return (email or "").strip().lower()


# --- Marking work ------------------------------------------------------------------------


def request_sync(*, kind, ref, now=None):
    """Mark (kind, ref) for sending; returns the row, or None when HubSpot is off."""
    if not hubspot.configured() or not ref:
        return None
    now = now or timezone.now()
    rows = HubSpotSync.objects.filter(kind=kind, ref=ref)
    fresh = {"changed_at": now, "next_attempt_at": now, "attempts": 0, "last_error": ""}
    # A row being sent keeps its claim; the sender sees the newer change and goes again.
    marked = rows.exclude(state=State.SENDING).update(state=State.PENDING, **fresh) or (
        rows.filter(state=State.SENDING).update(changed_at=now)
    )
    if not marked:
        try:
            with transaction.atomic():
                HubSpotSync.objects.create(kind=kind, ref=ref, **fresh)
        except IntegrityError:  # created at the same moment elsewhere
            return request_sync(kind=kind, ref=ref, now=now)
    row = rows.get()
    _enqueue_on_commit(row.pk)
    return row


def request_contact_sync(email):
    email = _normalised(email)
    if email.endswith(ERASED_SUFFIX):
        return None
    return request_sync(kind=Kind.CONTACT, ref=email)


def request_deal_sync(subscription):
    return request_sync(kind=Kind.DEAL, ref=subscription.stripe_subscription_id)


def _enqueue_on_commit(pk):
    from marketing.tasks import sync_hubspot

    transaction.on_commit(lambda: sync_hubspot.delay(pk))


# --- What is sent ------------------------------------------------------------------------


def contact_payload(email):
    """(properties, legal basis) for the person with this email, or None: nobody here."""
    lead = find_lead(email)
    student = find_student(email)
    if lead is None and student is None:
        return None
    consented = (
        lead is not None
        and Lead.objects.filter(pk=lead.pk).filter(valid_consent(Purpose.NEWSLETTER)).exists()
    )
    name = (student.full_name if student else "") or (lead.name if lead else "")
    first, _space, last = name.strip().partition(" ")
    properties = {
        "email": email,
        "firstname": first,
        "lastname": last,
        "courseops_marketing_consent": "true" if consented else "false",
        "courseops_stage": lead.stage if lead else Stage.CUSTOMER,
    }
    if student is not None:
        properties["courseops_student_id"] = str(student.pk)
    lifecycle = "customer" if student is not None else LIFECYCLE.get(lead.stage)
    if lifecycle:
        properties["lifecyclestage"] = lifecycle
    if consented:
        properties["phone"] = lead.phone or (student.phone if student else "")
        properties["courseops_first_source"] = lead.first_source
        return properties, CONSENT
    # Cleared, so that a withdrawn consent also takes them out of HubSpot.
    properties["phone"] = ""
    properties["courseops_first_source"] = ""
    return properties, CONTRACT if student is not None else LEGITIMATE_INTEREST


def deal_stage(status):
    if status in WON:
        return settings.HUBSPOT_DEAL_STAGE_WON
    if status in LOST:
        return settings.HUBSPOT_DEAL_STAGE_LOST
    return settings.HUBSPOT_DEAL_STAGE_OPEN


def deal_properties(subscription):
    plan = subscription.plan
    started = subscription.started_at or subscription.created_at
    return {
        "dealname": f"{plan.name} · {subscription.stripe_subscription_id}",
        "pipeline": settings.HUBSPOT_DEAL_PIPELINE,
        "dealstage": deal_stage(subscription.status),
        "amount": str(plan.price),
        "deal_currency_code": plan.currency,
        "closedate": started.isoformat(),
    }


def _send_contact(row):
    payload = contact_payload(row.ref)
    if payload is None:
        return None
    properties, basis = payload
    return hubspot.upsert_contact(email=row.ref, properties=properties), basis


def _send_deal(row):
    subscription = (
        Subscription.objects.select_related("plan", "student")
        .filter(stripe_subscription_id=row.ref)
        .first()
    )
    if subscription is None:
        return None
    deal_id = hubspot.upsert_deal(key=row.ref, properties=deal_properties(subscription))
    email = _normalised(subscription.student.email)
    payload = None if email.endswith(ERASED_SUFFIX) else contact_payload(email)
    if payload is not None:
        contact_id = hubspot.upsert_contact(email=email, properties=payload[0])
        hubspot.associate_deal_with_contact(deal_id=deal_id, contact_id=contact_id)
    return deal_id, ""


def _send_forget(row):
    hubspot.forget_contact(contact_id=row.ref)
    return row.ref, ""


SENDERS = {Kind.CONTACT: _send_contact, Kind.DEAL: _send_deal, Kind.FORGET: _send_forget}


# --- Sending -----------------------------------------------------------------------------


def sync_row(*, pk):
    """Send one row if it is pending and due. Returns the row as it ended, or None when
    another worker has it or it is not due."""
    now = timezone.now()
    free = HubSpotSync.objects.filter(pk=pk, state=State.PENDING, next_attempt_at__lte=now)
    if not claim(free, state=State.SENDING, claimed_at=now):
        return None
    row = HubSpotSync.objects.get(pk=pk)
    seen = row.changed_at
    fields = {"held_by": "", "claimed_at": None}
    try:
        try:
            result = SENDERS[row.kind](row)
        except hubspot.HubSpotError:
            raise
        except Exception as exc:  # a bug or a database hiccup: kept, retried, shown
            logger.exception("hubspot.sync_crashed", row=pk)
            raise hubspot.HubSpotError(f"{type(exc).__name__}: {exc}", permanent=False) from exc
    except hubspot.HubSpotError as exc:
        attempts = row.attempts + 1
        fields.update(attempts=attempts, last_error=str(exc)[:2000])
        if exc.permanent or attempts >= settings.HUBSPOT_MAX_ATTEMPTS:
            fields.update(state=State.FAILED, next_attempt_at=None)
        else:
            delay = retry_delay(attempts, cap=MAX_BACKOFF)
            fields.update(state=State.PENDING, next_attempt_at=timezone.now() + delay)
    else:
        fields.update(attempts=0, last_error="", synced_at=timezone.now(), state=State.SKIPPED)
        if result is not None:
            fields.update(state=State.SYNCED, hubspot_id=result[0], basis=result[1])
    mine = HubSpotSync.objects.filter(pk=pk, state=State.SENDING)
    if not mine.filter(changed_at=seen).update(**fields):
        # Changed while it was being sent: what HubSpot has may be older. Once more.
        fields.update(state=State.PENDING, next_attempt_at=timezone.now(), attempts=0)
        if mine.update(**fields):
            _enqueue_on_commit(pk)
    return HubSpotSync.objects.filter(pk=pk).first()


def sync_due(*, limit=500):
    """The sweeper: rows whose worker is gone go back to pending; due rows are enqueued.
    Returns how many were enqueued."""
    now = timezone.now()
    free_gone(
        HubSpotSync.objects.filter(state=State.SENDING),
        state=State.PENDING,
        claimed_at=None,
        next_attempt_at=now,
    )
    due = HubSpotSync.objects.filter(state=State.PENDING, next_attempt_at__lte=now)
    return enqueue_due(due, _enqueue_on_commit, limit=limit)


def retry_now(queryset):
    """Staff's "retry": failed or waiting rows are sent at once, with fresh attempts."""
    rows = queryset.exclude(state=State.SENDING)
    pks = list(rows.values_list("pk", flat=True))
    rows.update(state=State.PENDING, next_attempt_at=timezone.now(), attempts=0)
    for pk in pks:
        _enqueue_on_commit(pk)
    return len(pks)


# --- Erasure -----------------------------------------------------------------------------


def forget_in_hubspot(*, email):
    """Ask HubSpot to GDPR-delete the person (before our rows are anonymised). When HubSpot
    cannot be reached and we know the contact's HubSpot id, a `forget` row retries by id;
    our contact row (it holds the email) goes either way. Returns the erasure's note."""
    if not hubspot.configured():
        return {}
    email = _normalised(email)
    contact = HubSpotSync.objects.filter(kind=Kind.CONTACT, ref=email).first()
    try:
        hubspot.forget_contact(email=email)
    except hubspot.HubSpotError as exc:
        if contact is not None and contact.hubspot_id and not exc.permanent:
            request_sync(kind=Kind.FORGET, ref=contact.hubspot_id)
            answer = "error; se reintenta por su id de HubSpot"
        else:
            answer = f"error: {exc}"
    else:
        answer = "borrado (RGPD)"
    HubSpotSync.objects.filter(kind=Kind.CONTACT, ref=email).delete()
    return {"hubspot": answer}
