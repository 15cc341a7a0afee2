"""Public pages reached from emails: confirm a subscription (double opt-in) and choose
what to receive. A GET only shows (mail scanners follow links); a POST acts. They speak
the contact's language, or the link's `lang` when the link no longer names a contact."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from courseops.core.pages import personal_link_page
from marketing.models import Consent, LeadForm, Purpose, TrackingEvent
from marketing.services.campaigns import read_tracking_token
from marketing.services.consent import (
    confirm_consents,
    grant_from_preferences,
    lead_from_confirm_token,
    lead_from_preferences_token,
    preferences_url,
    withdraw_consent,
)
from marketing.services.tracking import record_event
from marketing.social.links import record_click


def _ip(request):
    return request.META.get("REMOTE_ADDR") or None


def _link_language(request):
    language = request.GET.get("lang")
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _invalid(request):
    with translation.override(_link_language(request)):
        return render(request, "marketing/link_invalid.html", status=400)


@personal_link_page
@login_not_required
@require_http_methods(["GET", "POST"])
def confirm(request, token):
    lead = lead_from_confirm_token(token)
    if lead is None:
        return _invalid(request)
    with translation.override(lead.language):
        return _confirm(request, lead)


def _confirm(request, lead):
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


@personal_link_page
@login_not_required
@require_http_methods(["GET", "POST"])
def preferences(request, token):
    lead = lead_from_preferences_token(token)
    if lead is None:
        return _invalid(request)
    with translation.override(lead.language):
        return _preferences(request, lead)


def _preferences(request, lead):
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


# A 1x1 transparent GIF.
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


@personal_link_page
@login_not_required
@require_http_methods(["GET", "HEAD"])
def click(request, token):
    """Our signed click redirect (a campaign recipient's or a social post's): record, then
    send the person where the link pointed."""
    try:
        data = read_tracking_token(token)
    except signing.BadSignature:
        return _invalid(request)
    user_agent = request.headers.get("User-Agent", "")
    if "p" in data:  # a link in a social post
        record_click(
            post_id=data["p"],
            url=data["u"],
            user_agent=user_agent,
            method=request.method,
            purpose=request.headers.get("Sec-Purpose") or request.headers.get("Purpose", ""),
        )
    else:
        record_event(
            recipient_id=data["r"],
            kind=TrackingEvent.Kind.CLICK,
            url=data["u"],
            user_agent=user_agent,
            method=request.method,
        )
    return HttpResponseRedirect(data["u"])


@personal_link_page
@login_not_required
@require_http_methods(["GET", "HEAD"])
def open_pixel(request, token):
    try:
        data = read_tracking_token(token)
    except signing.BadSignature:
        return HttpResponse(PIXEL, content_type="image/gif")
    record_event(
        recipient_id=data["r"],
        kind=TrackingEvent.Kind.OPEN,
        user_agent=request.headers.get("User-Agent", ""),
        method=request.method,
    )
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store"
    return response
