"""The unsubscribe page. A GET only asks (mail scanners follow links); a POST, from
the page's button or a mail client's RFC 8058 one-click request, unsubscribes."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from courseops.core.pages import personal_link_page
from courseops.messaging.services import unsubscribe_email
from courseops.messaging.services.suppression import read_unsubscribe_token


# CSRF-exempt because one-click POSTs come from mail clients with no session; the
# signed token in the URL is what proves the request is for this address.
@personal_link_page
@csrf_exempt
@login_not_required
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    # The link carries the recipient's language (unsigned: it only picks the page's words).
    language = request.GET.get("lang")
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    with translation.override(language):
        return _unsubscribe(request, token)


def _unsubscribe(request, token):
    try:
        address = read_unsubscribe_token(token)
    except signing.BadSignature:
        return render(request, "messaging/unsubscribe_invalid.html", status=400)
    if request.method == "GET":
        return render(request, "messaging/unsubscribe_confirm.html", {"address": address})
    one_click = request.POST.get("List-Unsubscribe") == "One-Click"
    unsubscribe_email(token=token, source="one-click" if one_click else "unsubscribe page")
    return render(request, "messaging/unsubscribe_done.html", {"address": address})
