"""Portal push notifications: the opt-in page, the subscription the page's script sends,
and the service worker that shows the notices (served under /portal/ so its scope is the
portal)."""

import json

from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from courseops.messaging.services import push_public_key, subscribe_push, unsubscribe_push
from students.portal import services
from students.portal.views import render_for_student

MAX_BODY = 4096


@require_http_methods(["GET"])
def notifications(request):
    student = services.current_student(request)
    if student is None:
        return services.sign_in_first(request)
    context = {"student": student, "public_key": push_public_key()}
    return render_for_student(request, student, "portal/notifications.html", context)


def _subscription_fields(request):
    if len(request.body) > MAX_BODY:
        raise ValidationError(_("La suscripción enviada es demasiado grande."))
    try:
        data = json.loads(request.body)
        fields = data["endpoint"], data["keys"]["p256dh"], data["keys"]["auth"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValidationError(_("Eso no es una suscripción push del navegador.")) from exc
    if not all(isinstance(value, str) for value in fields):
        raise ValidationError(_("Eso no es una suscripción push del navegador."))
    return fields


@require_http_methods(["POST", "DELETE"])
def subscription(request):
    """POST: the browser's PushSubscription (its toJSON()); DELETE: forget it."""
    student = services.current_student(request)
    if student is None:
        return JsonResponse({"error": _("Inicia sesión en el portal para continuar.")}, status=403)
    try:
        endpoint, p256dh, auth = _subscription_fields(request)
        if request.method == "DELETE":
            unsubscribe_push(address=student.email, endpoint=endpoint)
            return JsonResponse({"subscribed": False})
        subscribe_push(
            address=student.email,
            endpoint=endpoint,
            p256dh=p256dh,
            auth=auth,
            browser=request.headers.get("User-Agent", ""),
        )
    except ValidationError as exc:
        return JsonResponse({"error": " ".join(exc.messages)}, status=400)
    return JsonResponse({"subscribed": True}, status=201)


@require_http_methods(["GET"])
def service_worker(request):
    """The service worker script: a template (not a static file) so it is served from
    /portal/, the scope it controls, and is not cached under a hashed name."""
    response = HttpResponse(
        render_to_string("portal/push-sw.js"), content_type="text/javascript; charset=utf-8"
    )
    response["Cache-Control"] = "no-cache"
    return response
