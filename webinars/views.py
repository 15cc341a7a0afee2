"""Public pages: registration per webinar and the iCal feeds (public webinars only)."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import timezone, translation
from django.views.decorators.http import require_http_methods

from courseops.core.pages import personal_link_page
from courseops.operations.throttling import throttled
from webinars import calendar
from webinars.forms import SMS_CONSENT_TEXT, RegistrationForm
from webinars.models import Registration, Webinar
from webinars.services import registration_create
from webinars.services.attendance import join_follow
from webinars.services.text import local_when

LISTED = (Webinar.Status.SCHEDULED, Webinar.Status.LIVE, Webinar.Status.CANCELLED)


def _public(pk):
    return get_object_or_404(Webinar, pk=pk, is_public=True, status__in=LISTED)


@require_http_methods(["GET", "POST"])
@throttled("webinar_registration")
def register(request, pk):
    webinar = _public(pk)
    # The page, its form errors and the consent text speak the webinar's language.
    with translation.override(webinar.language):
        return _register(request, webinar)


def _register(request, webinar):
    when = local_when(webinar.starts_at, time_zone=webinar.time_zone, language=webinar.language)
    form = RegistrationForm(request.POST or None, initial={"time_zone": webinar.time_zone})
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["website"]:  # a bot: answer as if it worked, store nothing
            return render(request, "webinars/registered.html", {"webinar": webinar})
        data = form.cleaned_data
        try:
            registration_create(
                webinar=webinar,
                source=Registration.Source.PAGE,
                email=data["email"],
                name=data["name"],
                phone=data["phone"],
                time_zone=data["time_zone"],
                language=webinar.language,
                sms_consent=data["sms_consent"],
                consent_text=str(SMS_CONSENT_TEXT) if data["sms_consent"] else "",
            )
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            return render(request, "webinars/registered.html", {"webinar": webinar, "when": when})
    status = 400 if request.method == "POST" else 200
    context = {"webinar": webinar, "when": when, "form": form}
    return render(request, "webinars/register.html", context, status=status)


def _ics(content, filename):
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def webinar_ics(request, pk):
    return _ics(calendar.feed([_public(pk)]), f"webinar-{pk}.ics")


def feed(request):
    since = timezone.now() - timedelta(days=30)
    webinars = Webinar.objects.filter(is_public=True, status__in=LISTED, starts_at__gte=since)
    return _ics(calendar.feed(webinars.order_by("starts_at")[:500]), "webinars.ics")


@personal_link_page
@require_http_methods(["GET", "HEAD"])
def join(request, token):
    """The personal join link of emails: counts the click as attendance, then the meeting.
    A HEAD (a mail scanner checking the link) is not a click."""
    link = join_follow(token=token, count=request.method == "GET")
    if link is None:
        raise Http404
    return HttpResponseRedirect(link)
