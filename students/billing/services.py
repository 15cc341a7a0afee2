"""Stripe billing: checkout and portal links, the subscription mirror, and dunning.

Stripe is the source of truth. Webhook events are only triggers: the subscription is
re-read from Stripe's API and applied only if that reading is newer than the one stored
(`Subscription.stripe_updated_at` = when we read it), so the same events delivered twice
or in any order end in the same state. Network calls never run inside a transaction.
"""

import hashlib
import time
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from courseops.audit.services import log_action
from courseops.core import pending
from courseops.core.display import money
from courseops.core.logging import get_logger
from courseops.messaging.models import Category, OutboundMessage
from courseops.messaging.services import queue_email
from students import webhook_events
from students.billing.client import BillingError, call, get_client
from students.models import Invoice, Plan, Student, Subscription
from students.portal.services import ALLOWED_STATUSES, email_sign_in_link
from students.signals import checkout_abandoned, checkout_started, subscription_cancelled

logger = get_logger(__name__)

# Stripe subscription status -> the student's access. "incomplete" (first payment still
# pending) changes nothing; past_due keeps access while Stripe retries the card.
ACCESS_BY_STATUS = {
    "active": Student.Status.ACTIVE,
    "trialing": Student.Status.ACTIVE,
    "past_due": Student.Status.PAST_DUE,
    "canceled": Student.Status.INACTIVE,
    "unpaid": Student.Status.INACTIVE,
    "incomplete_expired": Student.Status.INACTIVE,
    "paused": Student.Status.INACTIVE,
}
# Subscriptions that still give access (a second one keeps a student in when one ends).
LIVE_STATUSES = ("active", "trialing", "past_due")
# Statuses of a subscription that is over for good (Stripe sets its `ended_at`).
ENDED_STATUSES = ("canceled", "incomplete_expired")
# Audit verb per new status: students.subscription.<verb>.
STATUS_ACTIONS = {
    "active": "activated",
    "trialing": "activated",
    "past_due": "past_due",
    "canceled": "canceled",
    "unpaid": "unpaid",
    "incomplete_expired": "expired",
    "paused": "paused",
}
# Stripe amounts are in minor units except for these zero-decimal currencies.
ZERO_DECIMAL_CURRENCIES = {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg",
                           "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}  # fmt: skip
# A repeated checkout request (double click, client retry) within this window gets the
# same Checkout Session back through Stripe's idempotency.
CHECKOUT_IDEMPOTENCY_WINDOW = 600
# The link in billing emails that opens a fresh portal session (`students.billing.views`).
PORTAL_LINK_SALT = "students.billing.portal-link"
PORTAL_LINK_MAX_AGE = 30 * 24 * 3600


def _key(*parts):
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:40]


# --- Links ----------------------------------------------------------------------------


def create_checkout_session(
    *, plan: Plan, email: str = "", promotion_code: str = "", metadata: dict | None = None
) -> str:
    """A Checkout Session URL to subscribe to `plan` (for `email` when known).

    `promotion_code`: a Stripe promotion code id applied up front (Stripe then refuses
    typed codes, so the field is not offered); without it the buyer may type one.
    `metadata`: extra values kept on the session (who sent the buyer here)."""
    if not plan.active or not plan.stripe_price_id:
        raise BillingError(
            _("El plan «%(plan)s» no está a la venta (inactivo o sin precio en Stripe).")
            % {"plan": plan.slug},
            permanent=True,
            code="plan_unavailable",
        )
    email = email.strip()
    params = {
        "mode": "subscription",
        "line_items": [{"price": plan.stripe_price_id, "quantity": 1}],
        "success_url": settings.STRIPE_CHECKOUT_SUCCESS_URL,
        "cancel_url": settings.STRIPE_CHECKOUT_CANCEL_URL,
        "metadata": {**(metadata or {}), "plan": plan.slug},
        "subscription_data": {"metadata": {"plan": plan.slug, "email": email}},
    }
    if promotion_code:
        params["discounts"] = [{"promotion_code": promotion_code}]
    else:
        # Marketing's offers are Stripe promotion codes: the buyer types the code shown.
        params["allow_promotion_codes"] = True
    customer_id = (
        Student.objects.filter(email__iexact=email)
        .exclude(stripe_customer_id="")
        .values_list("stripe_customer_id", flat=True)
        .first()
        if email
        else None
    )
    if customer_id:
        params["customer"] = customer_id  # a returning student keeps one Stripe customer
    elif email:
        params["customer_email"] = email
    window = int(time.time()) // CHECKOUT_IDEMPOTENCY_WINDOW
    # From the window's start, so a repeated request sends the same parameters.
    params["expires_at"] = (
        window * CHECKOUT_IDEMPOTENCY_WINDOW + settings.STRIPE_CHECKOUT_EXPIRES_HOURS * 3600
    )
    key = "checkout-" + _key(
        plan.slug,
        plan.stripe_price_id,
        email.lower(),
        window,
        promotion_code,
        sorted(params["metadata"].items()),
    )
    session = call(
        get_client().v1.checkout.sessions.create, params=params, options={"idempotency_key": key}
    )
    if email:
        checkout_started.send(sender=Plan, email=email, plan=plan, session_id=session.id)
    return session.url


def create_portal_session(*, student: Student, idempotency_key: str = "") -> str:
    """A short-lived Customer Portal URL where the student manages card and plan."""
    if not student.stripe_customer_id:
        raise BillingError(
            _("%(email)s no tiene cliente en Stripe.") % {"email": student.email},
            permanent=True,
            code="no_customer",
        )
    params = {
        "customer": student.stripe_customer_id,
        "return_url": settings.STRIPE_PORTAL_RETURN_URL,
        "locale": student.language,
    }
    options = {"idempotency_key": idempotency_key} if idempotency_key else {}
    session = call(get_client().v1.billing_portal.sessions.create, params=params, options=options)
    return session.url


def portal_link(*, student: Student) -> str:
    """Our own signed URL (valid 30 days) that opens a fresh Customer Portal session."""
    token = signing.dumps(student.pk, salt=PORTAL_LINK_SALT)
    return settings.SITE_URL + reverse("billing:portal", kwargs={"token": token})


# --- Subscription mirror ----------------------------------------------------------------


def sync_subscription(*, subscription_id: str) -> Subscription | None:
    """Re-read a subscription from Stripe and apply it; None while its student is unknown
    (checkout completion links the student and syncs it then)."""
    read_at = timezone.now()
    data = _retrieve_subscription(subscription_id)
    return apply_subscription(data=data, read_at=read_at)


def _retrieve_subscription(subscription_id):
    subscription = call(get_client().v1.subscriptions.retrieve, subscription_id)
    return subscription.to_dict()


def apply_subscription(
    *, data: dict, read_at: datetime, quiet: bool = False
) -> Subscription | None:
    """Store Stripe's subscription `data` read at `read_at`, unless a newer reading is
    stored, and set the student's access and plan from it. `quiet` (an import of history)
    changes the same state but tells nobody: no plan grant task, no cancellation signal."""
    plan = _plan_for(data)
    student = _student_for(data)
    if student is None:
        logger.info("billing.subscription_without_student", subscription=data["id"])
        return None
    fields = {
        "student": student,
        "plan": plan,
        "status": data["status"],
        "current_period_end": _period_end(data),
        "cancel_at_period_end": bool(data.get("cancel_at_period_end")),
        "stripe_updated_at": read_at,
    }
    with transaction.atomic():
        subscription, created = Subscription.objects.select_for_update().get_or_create(
            stripe_subscription_id=data["id"], defaults=fields
        )
        if (
            not created
            and subscription.stripe_updated_at
            and subscription.stripe_updated_at > read_at
        ):
            return subscription  # an older reading arriving late
        before = {"status": "" if created else subscription.status, "plan": subscription.plan_id}
        for name, value in fields.items():
            setattr(subscription, name, value)
        _set_lifetime(subscription, data=data, read_at=read_at)
        subscription.save()
        _audit_subscription(subscription, before=before, created=created)
        _apply_access(subscription, quiet=quiet)
    return subscription


def _plan_for(data):
    """The plan of the subscription's price; its metadata's plan slug as a fallback."""
    items = (data.get("items") or {}).get("data") or []
    price_ids = [(item.get("price") or {}).get("id") for item in items]
    plan = Plan.objects.filter(stripe_price_id__in=[p for p in price_ids if p]).first()
    slug = (data.get("metadata") or {}).get("plan")
    if plan is None and slug:
        plan = Plan.objects.filter(slug=slug).first()
    if plan is None:
        raise BillingError(
            _("Ningún plan tiene el precio de Stripe %(prices)s.") % {"prices": price_ids},
            permanent=True,
            code="unknown_price",
        )
    return plan


def _student_for(data):
    customer_id = stripe_id(data.get("customer"))
    student = (
        Student.objects.filter(stripe_customer_id=customer_id).first() if customer_id else None
    )
    email = subscription_email(data)
    if student is None and email:
        student = Student.objects.filter(email__iexact=email).first()
        if student is not None and customer_id:
            link_customer(student=student, customer_id=customer_id)
    return student


def subscription_email(data):
    """Whose subscription: our checkout's metadata, or the customer's email when the
    customer came expanded (an import lists them so)."""
    customer = data.get("customer")
    customer_email = customer.get("email") if isinstance(customer, dict) else ""
    return (data.get("metadata") or {}).get("email") or customer_email or ""


def stripe_id(value):
    """An expandable field: an id string, or the expanded object."""
    return value.get("id") if isinstance(value, dict) else value or ""


def _set_lifetime(subscription, *, data, read_at):
    """Stripe's start and end dates; when a payload lacks them, the first reading that saw
    the subscription started or ended stands in (kept on later readings)."""
    started = _timestamp(data.get("start_date"))
    subscription.started_at = started or subscription.started_at or read_at
    ended = _timestamp(data.get("ended_at"))
    if ended is None and data["status"] in ENDED_STATUSES:
        ended = subscription.ended_at or read_at
    subscription.ended_at = ended


def _timestamp(value):
    return datetime.fromtimestamp(value, tz=UTC) if value else None


def _period_end(data):
    """`current_period_end` lives on the items since API 2025-03-31."""
    ends = [item.get("current_period_end") for item in (data.get("items") or {}).get("data") or []]
    ends = [end for end in ends if end]
    return datetime.fromtimestamp(max(ends), tz=UTC) if ends else None


def _audit_subscription(subscription, *, before, created):
    data = {"stripe_subscription_id": subscription.stripe_subscription_id}
    if created:
        log_action(
            subscription,
            "students.subscription.created",
            data={**data, "status": subscription.status},
        )
    elif before["status"] != subscription.status:
        verb = STATUS_ACTIONS.get(subscription.status, "updated")
        log_action(
            subscription,
            f"students.subscription.{verb}",
            data={**data, "from": before["status"], "to": subscription.status},
        )
    if not created and before["plan"] != subscription.plan_id:
        log_action(
            subscription,
            "students.subscription.plan_changed",
            data={**data, "from": before["plan"], "to": subscription.plan_id},
        )


def _apply_access(subscription, *, quiet=False):
    """The student's status and plan follow the subscription (called in its transaction)."""
    from students.billing.pending import paid
    from students.services import plan_changed

    student = Student.objects.select_for_update().get(pk=subscription.student_id)
    target = ACCESS_BY_STATUS.get(subscription.status)
    others_live = (
        student.subscriptions.exclude(pk=subscription.pk).filter(status__in=LIVE_STATUSES).exists()
    )
    if target == Student.Status.INACTIVE and others_live:
        target = None
    if target == Student.Status.ACTIVE and student.status == Student.Status.ONBOARDING:
        target = None  # the pipeline activates the student when it finishes
    if target == Student.Status.ACTIVE and paid(student):
        target = None  # was waiting for this payment: onboarding started
    changed, before = [], student.status
    if target and target != student.status:
        log_action(
            student,
            "students.student.access_changed",
            data={
                "from": student.status,
                "to": target,
                "stripe_subscription_id": subscription.stripe_subscription_id,
            },
        )
        student.status = target
        changed.append("status")
        if target == Student.Status.ACTIVE and student.activated_at is None:
            student.activated_at = timezone.now()
            changed.append("activated_at")
    old_plan_id = student.plan_id
    if subscription.status in LIVE_STATUSES and student.plan_id != subscription.plan_id:
        student.plan_id = subscription.plan_id
        changed.append("plan")
    if changed:
        student.save(update_fields=[*changed, "updated_at"])
        if "plan" in changed and quiet:
            log_action(
                student,
                "students.student.plan_changed",
                data={"from": old_plan_id, "to": student.plan_id, "source": "stripe_import"},
            )
        elif "plan" in changed:
            plan_changed(student=student, old_plan_id=old_plan_id, source="stripe")
    if not quiet and "status" in changed and Student.Status.INACTIVE in (target, before):
        from students.tasks import sync_lms_access

        # The mark is the record (a sweeper finds it if the task is lost).
        pending.mark(Student.objects.filter(pk=student.pk), "lms_access_due_since")
        transaction.on_commit(lambda: sync_lms_access.delay(student.pk))
    if (
        not quiet
        and "status" in changed
        and target == Student.Status.INACTIVE
        and subscription.status == "canceled"
    ):
        subscription_cancelled.send(sender=Subscription, student=student, subscription=subscription)


def link_customer(*, student: Student, customer_id: str) -> bool:
    """Remember the student's Stripe customer; an existing different link is kept."""
    linked = Student.objects.filter(pk=student.pk, stripe_customer_id="").update(
        stripe_customer_id=customer_id, updated_at=timezone.now()
    )
    if linked:
        student.stripe_customer_id = customer_id
        log_action(student, "students.student.stripe_linked", data={"customer": customer_id})
    elif student.stripe_customer_id != customer_id:
        logger.warning("billing.customer_mismatch", student_id=student.pk, customer=customer_id)
    return bool(linked)


# --- Events ------------------------------------------------------------------------------


def complete_checkout(*, session: dict) -> Student | None:
    """A paid subscription checkout: register the person (or find them), link the Stripe
    customer and mirror the subscription. None when there is nothing to do yet."""
    if session.get("mode") != "subscription":
        return None
    if session.get("payment_status") not in ("paid", "no_payment_required"):
        return None  # a delayed payment method: checkout.session.async_payment_succeeded follows
    details = session.get("customer_details") or {}
    email = (details.get("email") or session.get("customer_email") or "").strip()
    if not email:
        raise BillingError(_("La sesión de pago no tiene email."), permanent=True, code="no_email")
    subscription_id = stripe_id(session.get("subscription"))
    read_at = timezone.now()
    subscription = _retrieve_subscription(subscription_id) if subscription_id else None
    plan = _plan_for(subscription) if subscription else None
    student = Student.objects.filter(email__iexact=email).first()
    if student is None:
        student = _register_buyer(session=session, email=email, plan=plan)
    customer_id = stripe_id(session.get("customer"))
    if customer_id:
        link_customer(student=student, customer_id=customer_id)
    replaced = (session.get("metadata") or {}).get("replaces")
    if subscription:
        apply_subscription(data=subscription, read_at=read_at)
        if replaced and replaced != subscription["id"]:
            _cancel_replaced(student=student, subscription_id=replaced)
    if not replaced:  # an upgrade is bought from inside the portal: no link needed
        _email_access(student=student, session_id=session["id"])
    return student


def _cancel_replaced(*, student, subscription_id):
    """An upgrade bought through Checkout: the plan it replaces stops now, its unused time
    credited (prorated) to the customer's next invoice, so nobody pays twice. Only a
    subscription of the same student, and still live, is cancelled."""
    if not Subscription.objects.filter(
        stripe_subscription_id=subscription_id, student=student, status__in=LIVE_STATUSES
    ).exists():
        logger.warning(
            "billing.upgrade_replaces_unknown", student_id=student.pk, subscription=subscription_id
        )
        return
    read_at = timezone.now()
    cancelled = call(
        get_client().v1.subscriptions.cancel,
        subscription_id,
        params={"prorate": True},
        options={"idempotency_key": f"upgrade-cancel-{subscription_id}"},
    )
    apply_subscription(data=cancelled.to_dict(), read_at=read_at)
    log_action(
        student, "students.subscription.replaced", data={"stripe_subscription_id": subscription_id}
    )


def _email_access(*, student, session_id):
    """The buyer's way in, at once and once per checkout (the welcome email may wait for
    staff review): the portal's sign-in link, when the payment gave access."""
    student.refresh_from_db(fields=["status"])
    if student.status in ALLOWED_STATUSES:
        email_sign_in_link(
            student=student, idempotency_key=f"students.billing.checkout_access.{session_id}"
        )


def record_checkout_expired(*, session: dict) -> bool:
    """An unpaid subscription checkout expired: abandoned, unless the person has a live
    subscription by now (they paid through another session). True if announced."""
    if session.get("mode") != "subscription" or session.get("status") == "complete":
        return False
    details = session.get("customer_details") or {}
    email = (details.get("email") or session.get("customer_email") or "").strip()
    if not email:
        return False  # they left before giving an email: nobody to follow up
    if Subscription.objects.filter(student__email__iexact=email, status__in=LIVE_STATUSES).exists():
        return False
    slug = (session.get("metadata") or {}).get("plan")
    plan = Plan.objects.filter(slug=slug).first() if slug else None
    checkout_abandoned.send(sender=Plan, email=email, plan=plan, session_id=session["id"])
    return True


# What Stripe collected that a paying buyer cannot be refused for: dropped when invalid.
OPTIONAL_BUYER_FIELDS = {"phone", "country"}


def _register_buyer(*, session, email, plan):
    """A new person who paid: registered through intake like every other door."""
    from students.intake.services import register_student  # intake sits beside billing
    from students.intake.validation import clean_registration

    details = session.get("customer_details") or {}
    metadata = session.get("metadata") or {}
    data = {
        "email": email,
        "full_name": details.get("name") or email.split("@")[0],
        "phone": details.get("phone") or "",
        "country": (details.get("address") or {}).get("country") or "",
        "plan": plan.slug if plan else metadata.get("plan", ""),
        "interests": [],
        # Paying for the course is agreeing to be enrolled and contacted about it.
        "consent": True,
        **{k: v for k, v in metadata.items() if k.startswith("utm_")},
    }
    for name in OPTIONAL_BUYER_FIELDS & clean_registration(data).errors.keys():
        data[name] = ""
    result = register_student(source=Student.Source.STRIPE, external_id=session["id"], data=data)
    if result.student is None:
        raise BillingError(
            _("El registro de %(email)s no es válido: %(errors)s")
            % {"email": email, "errors": result.errors},
            permanent=True,
            code="invalid_registration",
        )
    return result.student


def _invoice_subscription_id(invoice):
    parent = invoice.get("parent") or {}
    return stripe_id((parent.get("subscription_details") or {}).get("subscription"))


def record_invoice_paid(*, invoice: dict) -> Subscription | None:
    """A paid invoice ends a past_due period: re-read its subscription."""
    subscription_id = _invoice_subscription_id(invoice)
    subscription = sync_subscription(subscription_id=subscription_id) if subscription_id else None
    mirror_invoice(invoice=invoice, subscription=subscription)
    return subscription


def mirror_invoice(*, invoice: dict, subscription: Subscription | None = None) -> Invoice | None:
    """Store the invoice the student sees in *Mi suscripción*. A final status (paid, void,
    uncollectible) is never overwritten by an older event arriving late."""
    student = (
        subscription.student
        if subscription
        else Student.objects.filter(stripe_customer_id=stripe_id(invoice.get("customer"))).first()
    )
    if student is None or not invoice.get("id"):
        return None
    currency = (invoice.get("currency") or "").lower()
    divisor = 1 if currency in ZERO_DECIMAL_CURRENCIES else 100
    fields = {
        "student": student,
        "subscription": subscription,
        "number": invoice.get("number") or "",
        "status": invoice.get("status") or "",
        "total": Decimal(invoice.get("total") or 0) / divisor,
        "currency": currency,
        "hosted_invoice_url": invoice.get("hosted_invoice_url") or "",
        "invoice_pdf": invoice.get("invoice_pdf") or "",
        "issued_at": _timestamp(invoice.get("created")) or timezone.now(),
    }
    with transaction.atomic():
        stored, created = Invoice.objects.select_for_update().get_or_create(
            stripe_invoice_id=invoice["id"], defaults=fields
        )
        if created:
            return stored
        if (
            stored.status in Invoice.FINAL_STATUSES
            and fields["status"] not in Invoice.FINAL_STATUSES
        ):
            return stored  # an earlier state of the invoice, delivered late
        if subscription is None:
            fields.pop("subscription")
        for name, value in fields.items():
            setattr(stored, name, value)
        stored.save()
    return stored


def record_payment_failed(*, invoice: dict) -> OutboundMessage | None:
    """Mirror the subscription (access follows its status) and send one dunning email per
    invoice and attempt, with a Customer Portal link created for it."""
    subscription_id = _invoice_subscription_id(invoice)
    subscription = sync_subscription(subscription_id=subscription_id) if subscription_id else None
    customer_id = stripe_id(invoice.get("customer"))
    student = (
        subscription.student
        if subscription
        else Student.objects.filter(stripe_customer_id=customer_id).first()
        if customer_id
        else None
    )
    if student is None:
        logger.info("billing.payment_failed_without_student", invoice=invoice.get("id"))
        return None
    mirror_invoice(invoice=invoice, subscription=subscription)
    attempt = invoice.get("attempt_count") or 0
    key = f"stripe-dunning:{invoice['id']}:{attempt}"
    existing = OutboundMessage.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing  # this attempt's email is queued; no new portal session
    portal_url = create_portal_session(student=student, idempotency_key=key)
    currency = (invoice.get("currency") or "").lower()
    divisor = 1 if currency in ZERO_DECIMAL_CURRENCIES else 100
    next_attempt = invoice.get("next_payment_attempt")
    next_attempt_at = datetime.fromtimestamp(next_attempt, tz=UTC) if next_attempt else None
    message = queue_email(
        to=student.email,
        idempotency_key=key,
        template="billing/payment_failed",
        context={
            "first_name": student.first_name,
            "plan_name": student.plan.name,
            # Rounded half up in the student's number format ("49,50"), as everywhere.
            "amount": money(
                Decimal(invoice.get("amount_due") or 0) / divisor,
                language=student.language,
                places=0 if divisor == 1 else 2,
            ),
            "currency": currency.upper(),
            "attempt": attempt,
            "next_attempt_at": next_attempt_at,
            "time_zone": student.time_zone,
            "portal_url": portal_url,
            "fresh_portal_url": portal_link(student=student),
            "invoice_url": invoice.get("hosted_invoice_url") or "",
        },
        category=Category.BILLING,
        related=student,
        language=student.language,
    )
    log_action(
        student,
        "students.subscription.payment_failed",
        data={"invoice": invoice["id"], "attempt": attempt, "message": message.pk},
    )
    webhook_events.payment_failed(
        student, invoice=invoice, attempt=attempt, next_attempt_at=next_attempt_at
    )
    return message
