"""`/registro/`: the public page of the plans on sale, each with its way in.

A plan sold through Stripe (it has a Stripe price) opens Checkout; a free plan has a short
registration form that goes through `register_student` like every other door (source
`web`). A plan that requires payment but has no Stripe price is not offered. It is also
where Stripe sends a buyer who cancels Checkout (`STRIPE_CHECKOUT_CANCEL_URL`), and
`/registro/gracias/` where it sends one who paid (`STRIPE_CHECKOUT_SUCCESS_URL`).
"""

from django import forms
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from courseops.core.logging import get_logger
from courseops.operations.throttling import throttled
from students.billing.client import BillingError
from students.billing.services import create_checkout_session
from students.intake.services import register_student
from students.intake.validation import clean_registration
from students.models import Plan, Student

logger = get_logger(__name__)


def offered_plans():
    return Plan.objects.filter(active=True).filter(
        ~Q(stripe_price_id="") | Q(requires_payment=False)
    )


def plans_page(request):
    plans = list(offered_plans().order_by("sort_order", "price"))
    cancelled = request.GET.get("pago") == "cancelado"
    return render(
        request, "students/registration_plans.html", {"plans": plans, "cancelled": cancelled}
    )


@require_GET
def paid(request):
    """Checkout's success page: access comes by email (the webhook sends the link)."""
    return render(request, "students/registration_paid.html")


@require_POST
@throttled("lead_form")  # each click asks Stripe for a session: a public form's limit
def checkout(request, slug):
    plan = get_object_or_404(offered_plans().exclude(stripe_price_id=""), slug=slug)
    try:
        url = create_checkout_session(plan=plan, metadata={"origin": "registration_page"})
    except BillingError as exc:
        logger.warning("students.registration_page.checkout_failed", plan=slug, error=str(exc))
        return render(request, "billing/pay_unavailable.html", status=503)
    return redirect(url)


class FreeRegistrationForm(forms.Form):
    full_name = forms.CharField(label=_("Nombre completo"), max_length=200, required=False)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    country = forms.CharField(
        label=_("País"), max_length=60, required=False, help_text=_("México, España, AR...")
    )
    consent = forms.BooleanField(label=_("Acepto recibir comunicaciones del curso"), required=False)


@require_http_methods(["GET", "POST"])
@throttled("lead_form")
def free_registration(request, slug):
    plan = get_object_or_404(offered_plans(), slug=slug)
    if plan.stripe_price_id:
        raise Http404  # sold through Checkout, from the plans page
    form = FreeRegistrationForm(request.POST or None)
    errors = {}
    if request.method == "POST":
        data = {name: form[name].data for name in form.fields} | {
            "plan": plan.slug,
            "language": translation.get_language() or "es",
        }
        # Shown on the page when wrong (no correction email for what the person sees).
        errors = clean_registration(data).errors
        if not errors:
            result = register_student(data=data, source=Student.Source.WEB)
            return render(
                request,
                "students/registration_received.html",
                {"plan": plan, "email": result.record.data.get("email", "")},
            )
    fields = [(form[name], errors.get(name, [])) for name in form.fields]
    return render(
        request,
        "students/registration_free.html",
        {"plan": plan, "fields": fields, "general_errors": errors.get("__all__", [])},
        status=400 if errors else 200,
    )
