"""*Mi suscripción*: what the student's Stripe mirror says, and the ways to change it.

Everything shown is read from our mirror (`Subscription`, `Invoice`), never from Stripe
while the page renders; only the buttons call Stripe (a Customer Portal session, a
Checkout Session for an upgrade), each from a POST.
"""

from django.db.models import Case, IntegerField, Value, When

from students.billing.services import LIVE_STATUSES, create_checkout_session, portal_link
from students.models import Invoice, Plan, Student, Subscription

INVOICES_SHOWN = 12


def current_subscription(student: Student) -> Subscription | None:
    """The subscription that gives access (a live one first), else the latest one."""
    return (
        student.subscriptions.select_related("plan")
        .annotate(
            live=Case(
                When(status__in=LIVE_STATUSES, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("live", "-started_at", "-pk")
        .first()
    )


def upgrade_plans(student: Student):
    """Active plans sold through Stripe that cost more than the student's."""
    price = student.plan.price if student.plan_id else 0
    return Plan.objects.filter(active=True, price__gt=price).exclude(stripe_price_id="")


def overview(student: Student) -> dict:
    subscription = current_subscription(student)
    return {
        "subscription": subscription,
        "next_charge": (
            subscription.current_period_end
            if subscription
            and subscription.status in LIVE_STATUSES
            and not subscription.cancel_at_period_end
            else None
        ),
        "invoices": list(
            Invoice.objects.filter(student=student).order_by("-issued_at")[:INVOICES_SHOWN]
        ),
        "upgrades": list(upgrade_plans(student)),
        "can_manage": bool(student.stripe_customer_id),
    }


def past_due_banner(student: Student) -> dict | None:
    """The banner every portal page shows while a payment is late: where to fix the card
    (our lasting link that opens a fresh Customer Portal session)."""
    if student.status != Student.Status.PAST_DUE or not student.stripe_customer_id:
        return None
    return {"update_card_url": portal_link(student=student)}


def upgrade_checkout_url(*, student: Student, plan: Plan) -> str:
    """Checkout for a dearer plan; the subscription it replaces is cancelled once the new
    one is paid (`students.billing.services.complete_checkout`)."""
    replaced = current_subscription(student)
    metadata = {"student": str(student.pk), "origin": "portal_upgrade"}
    if replaced is not None and replaced.status in LIVE_STATUSES:
        metadata["replaces"] = replaced.stripe_subscription_id
    return create_checkout_session(plan=plan, email=student.email, metadata=metadata)
