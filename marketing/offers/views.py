"""A contact's personal offer link (`/o/<token>/`, from a campaign or sequence email).
A GET only shows the offer and the plans (mail scanners follow links); a POST opens Stripe
Checkout with the code applied, or at the normal price once the offer cannot be used."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from courseops.core.pages import personal_link_page
from courseops.operations.throttling import throttled
from marketing.models import Lead
from marketing.offers.checkout import (
    OfferRefused,
    attribution,
    offer_checkout,
    read_personal_link,
    unavailable_reason,
)
from marketing.offers.models import Offer
from students.billing.client import BillingError
from students.billing.services import create_checkout_session
from students.models import Plan


@personal_link_page
@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
@throttled("lead_form")
def personal(request, token):
    data = read_personal_link(token) or {}
    offer = Offer.objects.filter(pk=data.get("o")).first() if data else None
    lead = Lead.objects.filter(pk=data.get("l")).first() if data else None
    if offer is None or lead is None:
        return render(request, "marketing/link_invalid.html", status=400)
    plans = list(
        Plan.objects.filter(active=True).exclude(stripe_price_id="").order_by("sort_order", "pk")
    )
    context = {"offer": offer, "plans": plans, "reason": unavailable_reason(offer)}
    with translation.override(lead.language):
        if request.method != "POST":
            return render(request, "marketing/offers/personal.html", context)
        plan = next((p for p in plans if p.slug == request.POST.get("plan")), None)
        if plan is None:
            context["error"] = _("Elige uno de los planes.")
            return render(request, "marketing/offers/personal.html", context, status=400)
        return _checkout(request, context, plan=plan, lead=lead, data=data)


def _checkout(request, context, *, plan, lead, data):
    offer = context["offer"]
    try:
        if context["reason"] or request.POST.get("plain"):
            url = create_checkout_session(plan=plan, email=lead.email)
        else:
            metadata = attribution(offer=offer, campaign_id=data.get("c"), step_id=data.get("s"))
            url = offer_checkout(plan=plan, email=lead.email, offer=offer, metadata=metadata)
    except OfferRefused:
        context["reason"] = _(
            "No hemos podido aplicar el descuento: la oferta ya no es válida. "
            "Puedes suscribirte al precio normal."
        )
        return render(request, "marketing/offers/personal.html", context, status=409)
    except BillingError:
        context["error"] = _("No hemos podido abrir el pago. Inténtalo de nuevo en unos minutos.")
        return render(request, "marketing/offers/personal.html", context, status=503)
    return HttpResponseRedirect(url, status=303)
