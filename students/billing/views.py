"""The long-lived link in billing emails: it opens a fresh Customer Portal session.

Stripe's portal URLs expire within minutes, so an email read the next day needs a link of
our own that asks Stripe for a new one when clicked.
"""

from django.core import signing
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.http import require_GET

from courseops.core.logging import get_logger
from courseops.core.pages import personal_link_page
from students.billing.client import BillingError
from students.billing.pending import student_and_plan_from_token
from students.billing.services import (
    PORTAL_LINK_MAX_AGE,
    PORTAL_LINK_SALT,
    create_checkout_session,
    create_portal_session,
)
from students.models import Student

logger = get_logger(__name__)


@personal_link_page
@require_GET
def portal_redirect(request, token):
    try:
        student_id = signing.loads(token, salt=PORTAL_LINK_SALT, max_age=PORTAL_LINK_MAX_AGE)
        student = Student.objects.get(pk=student_id)
    except (signing.BadSignature, Student.DoesNotExist):
        return render(request, "billing/portal_link_invalid.html", status=400)
    try:
        url = create_portal_session(student=student)
    except BillingError as exc:
        logger.warning("billing.portal_link_failed", student_id=student.pk, error=str(exc))
        with translation.override(student.language):
            return render(request, "billing/portal_unavailable.html", status=503)
    return redirect(url)


@personal_link_page
@require_GET
def pay_redirect(request, token):
    """The emailed payment link of a registration waiting for payment: a fresh Checkout."""
    found = student_and_plan_from_token(token)
    if found is None:
        return render(request, "billing/portal_link_invalid.html", status=400)
    student, plan = found
    try:
        url = create_checkout_session(
            plan=plan, email=student.email, metadata={"student": str(student.pk)}
        )
    except BillingError as exc:
        logger.warning("billing.pay_link_failed", student_id=student.pk, error=str(exc))
        with translation.override(student.language):
            return render(request, "billing/pay_unavailable.html", status=503)
    return redirect(url)
