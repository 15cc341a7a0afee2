"""The public landing page, its thank-you page and the plan's checkout button. Served
without sessions or client scripts; the headline variant is kept in a cookie."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from courseops.operations.throttling import throttled
from marketing.landing import services
from marketing.landing.forms import LandingForm
from marketing.landing.models import LandingPage
from marketing.offers.checkout import OfferRefused
from marketing.services.tracking import web_machine_reason
from students.billing.client import BillingError
from students.intake.validation import UTM_FIELDS

VARIANT_COOKIE = "lp{}"
VARIANT_COOKIE_AGE = 90 * 24 * 3600


def _ip(request):
    return request.META.get("REMOTE_ADDR") or None


def _remembered(request, page):
    try:
        return int(request.COOKIES.get(VARIANT_COOKIE.format(page.pk), ""))
    except ValueError:
        return None


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
@throttled("lead_form")
def landing(request, slug):
    page = get_object_or_404(
        LandingPage.objects.select_related("form", "plan", "offer"), slug=slug, published=True
    )
    with translation.override(page.language):
        if request.method == "POST":
            return _submit(request, page)
        return _show(request, page)


def _show(request, page):
    variant = services.pick_variant(page, _remembered(request, page))
    utm = {name: request.GET.get(name, "")[:100] for name in UTM_FIELDS}
    if not web_machine_reason(
        user_agent=request.headers.get("User-Agent", ""),
        method=request.method,
        purpose=request.headers.get("Sec-Purpose") or request.headers.get("Purpose", ""),
    ):
        services.record_view(page=page, variant=variant, utm=utm)
    form = LandingForm(
        page=page,
        initial={**utm, "variant": variant, "referrer": request.headers.get("Referer", "")[:300]},
    )
    response = _render(request, page, form, variant)
    response.set_cookie(
        VARIANT_COOKIE.format(page.pk), str(variant), max_age=VARIANT_COOKIE_AGE, samesite="Lax"
    )
    return response


def _render(request, page, form, variant, status=200):
    offer, reason = services.offer_state(page)
    context = {
        "page": page,
        "form": form,
        "headline": page.headlines()[variant],
        "offer": None if reason else offer,
    }
    return render(request, "marketing/landing/page.html", context, status=status)


def _submit(request, page):
    form = LandingForm(request.POST, page=page)
    if form.is_valid():
        data = form.cleaned_data
        if data["website"]:  # a bot: answer as if it worked, store nothing
            return render(request, "marketing/landing/thanks.html", {"page": page})
        variant = services.pick_variant(page, data["variant"])
        result = services.sign_up(
            page=page,
            data={key: data.get(key) or "" for key in ("email", "name", "phone", *UTM_FIELDS)}
            | {
                "consent": data["consent"],
                "analytics_consent": bool(data.get("analytics_consent")),
                # The site's Google tag sets _ga; its client id joins the conversion to the visit.
                "ga_client_id": request.COOKIES.get("_ga", ""),
            },
            variant=variant,
            referrer=data["referrer"],
            ip=_ip(request),
        )
        if result.lead is not None:
            token = services.thanks_token(page, result.lead)
            url = reverse("landing:thanks", args=[page.slug]) + f"?t={token}"
            return HttpResponseRedirect(url, status=303)
        for field, messages in result.errors.items():
            form.add_error(field if field in form.fields else None, messages)
    variant = services.pick_variant(page, form.cleaned_data.get("variant"))
    return _render(request, page, form, variant, status=400)


@login_not_required
@require_http_methods(["GET", "HEAD"])
def thanks(request, slug):
    page = get_object_or_404(
        LandingPage.objects.select_related("form", "plan", "webinar", "offer"),
        slug=slug,
        published=True,
    )
    token = request.GET.get("t", "")
    signup = services.lead_from_thanks_token(page, token)
    with translation.override(page.language):
        return render(
            request, "marketing/landing/thanks.html", _thanks_context(page, signup, token)
        )


def _thanks_context(page, signup, token, **extra):
    offer, reason = services.offer_state(page)
    return {
        "page": page,
        "signup": signup,
        "token": token,
        "offer": offer,
        "offer_reason": reason,
        **extra,
    }


@login_not_required
@require_http_methods(["POST"])
@throttled("lead_form")
def checkout(request, slug):
    """The plan's call to action: to Stripe Checkout with the contact's email."""
    page = get_object_or_404(
        LandingPage.objects.select_related("form", "plan", "webinar", "offer"),
        slug=slug,
        published=True,
    )
    token = request.POST.get("t", "")
    signup = services.lead_from_thanks_token(page, token)
    with translation.override(page.language):
        if signup is None or page.plan is None:
            return render(request, "marketing/link_invalid.html", status=400)
        try:
            url = services.start_checkout(
                page=page, lead=signup.lead, plain=bool(request.POST.get("plain"))
            )
        except OfferRefused:
            context = _thanks_context(
                page,
                signup,
                token,
                offer_reason=_(
                    "No hemos podido aplicar el descuento: la oferta ya no es válida. "
                    "Puedes suscribirte al precio normal."
                ),
            )
            return render(request, "marketing/landing/thanks.html", context, status=409)
        except BillingError:
            context = _thanks_context(
                page,
                signup,
                token,
                checkout_failed=_(
                    "No hemos podido abrir el pago. Inténtalo de nuevo en unos minutos."
                ),
            )
            return render(request, "marketing/landing/thanks.html", context, status=503)
        return HttpResponseRedirect(url, status=303)
