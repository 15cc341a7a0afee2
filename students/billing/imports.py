"""Moving in from Stripe: every subscription of the account, linked to its student and
mirrored, as history. Nobody is told anything: no email, no plan grant task, no signal.

Each subscription goes through the same `apply_subscription` the webhooks use, inside a
savepoint: a dry run rolls every one back (so it reports exactly what a real run would
do), and a real run rolls back the ones that change nothing, so a second run writes
nothing. People Stripe knows and CourseOps does not are reported, never created.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from students.billing.client import BillingError, call, get_client
from students.billing.services import apply_subscription, stripe_id, subscription_email
from students.models import Student, Subscription

# What a staff member would call a change of a mirrored subscription.
STATE = (
    "student_id",
    "plan_id",
    "status",
    "current_period_end",
    "cancel_at_period_end",
    "started_at",
    "ended_at",
)
PAGE_SIZE = 100


@dataclass
class StripeImportReport:
    """Each subscription counts once: created + updated + unchanged + the two lists."""

    subscriptions: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    linked: int = 0  # students newly linked to their Stripe customer
    without_student: list[str] = field(default_factory=list)  # their email or customer id
    unknown_price: list[str] = field(default_factory=list)  # subscription ids
    dry_run: bool = False


def import_subscriptions(*, dry_run: bool = False) -> StripeImportReport:
    """Read every subscription (any status) with its customer, and mirror it."""
    report = StripeImportReport(dry_run=dry_run)
    listing = call(
        get_client().v1.subscriptions.list,
        params={"status": "all", "limit": PAGE_SIZE, "expand": ["data.customer"]},
    )
    for subscription in listing.auto_paging_iter():
        report.subscriptions += 1
        _import_one(subscription.to_dict(), report=report, dry_run=dry_run)
    return report


def _state(subscription_id):
    return (
        Subscription.objects.filter(stripe_subscription_id=subscription_id).values(*STATE).first()
    )


def _import_one(data, *, report, dry_run):
    read_at = timezone.now()
    try:
        with transaction.atomic():
            customer_id = stripe_id(data.get("customer"))
            before = _state(data["id"])
            # One indexed lookup, not a count of every student per subscription.
            linked_before = Student.objects.filter(stripe_customer_id=customer_id).exists()
            mirrored = apply_subscription(data=data, read_at=read_at, quiet=True)
            after = _state(data["id"])
            if mirrored is None:
                report.without_student.append(
                    subscription_email(data) or stripe_id(data.get("customer")) or data["id"]
                )
            elif before is None:
                report.created += 1
            elif before != after:
                report.updated += 1
            else:
                report.unchanged += 1
            report.linked += mirrored is not None and not linked_before
            if dry_run or before == after:
                transaction.set_rollback(True)
    except BillingError as exc:
        if exc.code != "unknown_price":
            raise
        report.unknown_price.append(data["id"])
