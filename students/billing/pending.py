"""Paid plans are given through Stripe only.

A registration through a free door (Typeform, API, CSV, the registration page's free
form) for a plan that requires payment waits in "pendiente de pago": the person is emailed
a link of ours that opens a fresh Checkout Session when clicked (a session itself expires
within a day), and access follows Stripe (`checkout.session.completed` and the
subscription's events start onboarding). Staff may grant access by hand, audited.
"""

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse

from courseops.audit.services import log_action
from courseops.messaging.services import queue_email
from students.models import Plan, Student

PAY_LINK_SALT = "students.billing.pay"
PAY_LINK_MAX_AGE = 60 * 86400
PAYMENT_LINK_TEMPLATE = "students/payment_link"


def needs_payment(plan: Plan, source: str) -> bool:
    """Whether a registration through `source` may not give `plan` by itself."""
    return bool(plan.requires_payment) and source != Student.Source.STRIPE


def pay_url(*, student: Student, plan: Plan) -> str:
    token = signing.dumps({"s": student.pk, "p": plan.pk}, salt=PAY_LINK_SALT, compress=True)
    return settings.SITE_URL + reverse("billing:pay", kwargs={"token": token})


def student_and_plan_from_token(token: str):
    """(student, plan) of a payment link; None when it is forged or too old."""
    try:
        data = signing.loads(token, salt=PAY_LINK_SALT, max_age=PAY_LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    student = Student.objects.filter(pk=data.get("s")).first()
    plan = Plan.objects.filter(pk=data.get("p"), active=True).first()
    return (student, plan) if student and plan else None


def await_payment(*, student: Student, plan: Plan, source: str, upgrade: bool = False):
    """Inside the caller's transaction: record that `plan` waits for payment and email the
    person the link to pay it (once per student and plan)."""
    log_action(
        student,
        "students.student.awaiting_payment",
        data={"plan": plan.slug, "source": source, "upgrade": upgrade},
    )
    return queue_email(
        to=student.email,
        idempotency_key=f"students.payment_link:{student.pk}:{plan.pk}",
        template=PAYMENT_LINK_TEMPLATE,
        context={
            "name": student.first_name,
            "plan_name": plan.name,
            "price": plan.price,
            "currency": plan.currency,
            "upgrade": upgrade,
            "pay_url": pay_url(student=student, plan=plan),
        },
        related=student,
        language=student.language,
    )


def grant_access_without_payment(*, student: Student, user=None) -> bool:
    """Staff give a student waiting for payment their plan anyway: onboarding starts."""
    from students.onboarding.pipeline import start_onboarding

    with transaction.atomic():
        changed = Student.objects.filter(
            pk=student.pk, status=Student.Status.PENDING_PAYMENT
        ).update(status=Student.Status.ONBOARDING)
        if changed:
            student.refresh_from_db()
            log_action(
                student,
                "students.student.access_granted_without_payment",
                user=user,
                data={"plan": student.plan.slug},
            )
            start_onboarding(student=student)
    return bool(changed)


def paid(student: Student) -> bool:
    """Called with the student locked, when Stripe says a subscription gives access: a
    student waiting for payment starts onboarding. True if it did."""
    from students.onboarding.pipeline import start_onboarding

    if student.status != Student.Status.PENDING_PAYMENT:
        return False
    log_action(
        student,
        "students.student.access_changed",
        data={"from": student.status, "to": Student.Status.ONBOARDING, "by": "stripe"},
    )
    student.status = Student.Status.ONBOARDING
    student.save(update_fields=["status", "updated_at"])
    start_onboarding(student=student)
    return True
