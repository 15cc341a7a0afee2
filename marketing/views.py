"""Public pages reached from emails: confirm a subscription (double opt-in) and choose
what to receive. A GET only shows (mail scanners follow links); a POST acts."""

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from marketing.models import Consent, LeadForm, Purpose
from marketing.services.consent import (
    confirm_consents,
    grant_from_preferences,
    lead_from_confirm_token,
    lead_from_preferences_token,
    preferences_url,
    withdraw_consent,
)


def _ip(request):
    return request.META.get("REMOTE_ADDR") or None


@login_not_required
@require_http_methods(["GET", "POST"])
def confirm(request, token):
    lead = lead_from_confirm_token(token)
    if lead is None:
        return render(request, "marketing/link_invalid.html", status=400)
    confirmed = None
    if request.method == "POST":
        confirmed = confirm_consents(lead=lead, ip=_ip(request))
    context = {
        "lead": lead,
        "confirmed": confirmed,
        "pending": lead.consents.filter(status=Consent.Status.PENDING),
        "preferences_url": preferences_url(lead),
    }
    return render(request, "marketing/confirm.html", context)


def _choices(lead):
    granted = set(
        lead.consents.filter(status=Consent.Status.GRANTED).values_list("purpose", flat=True)
    )
    texts = {
        Purpose.NEWSLETTER: LeadForm._meta.get_field("newsletter_text").default,
        Purpose.MARKETING_SMS: LeadForm._meta.get_field("sms_text").default,
    }
    purposes = [Purpose.NEWSLETTER] + ([Purpose.MARKETING_SMS] if lead.phone else [])
    return [
        {
            "value": purpose.value,
            "label": purpose.label,
            "text": texts[purpose],
            "checked": purpose in granted,
        }
        for purpose in purposes
    ]


@login_not_required
@require_http_methods(["GET", "POST"])
def preferences(request, token):
    lead = lead_from_preferences_token(token)
    if lead is None:
        return render(request, "marketing/link_invalid.html", status=400)
    saved = False
    if request.method == "POST":
        wanted = set(request.POST.getlist("purpose"))
        for choice in _choices(lead):
            purpose = Purpose(choice["value"])
            if choice["value"] in wanted and not choice["checked"]:
                grant_from_preferences(lead=lead, purpose=purpose, ip=_ip(request))
            elif choice["value"] not in wanted and choice["checked"]:
                withdraw_consent(lead=lead, purpose=purpose, source="preference page")
        saved = True
    return render(
        request,
        "marketing/preferences.html",
        {"lead": lead, "choices": _choices(lead), "saved": saved},
    )
