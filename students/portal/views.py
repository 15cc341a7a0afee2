"""Portal pages of the students app: sign-in by emailed link, the student's home and
*Mi suscripción*."""

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods

from courseops.core.logging import get_logger
from courseops.core.pages import personal_link_page
from courseops.core.player import viewer_key
from courseops.operations.throttling import throttled
from students.billing.client import BillingError
from students.billing.services import create_portal_session
from students.models import StudentMaterial
from students.portal import navigation, services, subscription
from students.portal.forms import SignInRequestForm

logger = get_logger(__name__)


def render_for_student(request, student, template, context, *, summaries=False):
    """A portal page in the student's own language (the staff admin stays Spanish), with
    the navigation of the sections the apps registered (and their summaries: the home).

    Pages before sign-in stay in the site's language: answering the sign-in form in the
    language of the address typed would tell whether that address is a student's.
    """
    with translation.override(student.language):
        portal_nav = navigation.navigation(request, student, with_summaries=summaries)
        return render(
            request,
            template,
            {
                **context,
                "portal_nav": portal_nav,
                "past_due": subscription.past_due_banner(student),
                "player_viewer": viewer_key(student.pk),
            },
        )


@require_http_methods(["GET", "POST"])
@throttled("portal_sign_in")
def request_link(request):
    form = SignInRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.request_sign_in_link(email=form.cleaned_data["email"])
        # The same answer whether or not the address is a student's.
        return render(request, "portal/link_sent.html", {"email": form.cleaned_data["email"]})
    status = 400 if form.is_bound else 200
    return render(request, "portal/sign_in.html", {"form": form}, status=status)


@personal_link_page
@require_http_methods(["GET", "POST"])
def access(request, token):
    """GET only shows a button (mail scanners follow links); POST signs in."""
    try:
        if request.method == "POST":
            services.sign_in_with_token(request=request, token=token)
            return redirect(services.page_after_sign_in(request))
        student = services.student_for_token(token=token)
    except services.InvalidLink as exc:
        return render(
            request,
            "portal/sign_in.html",
            {"form": SignInRequestForm(), "error": str(exc)},
            status=400,
        )
    # In the student's language, but without the signed-in menu: they are not in yet.
    with translation.override(student.language):
        return render(request, "portal/access.html", {"student": student})


@require_http_methods(["GET"])
def home(request):
    student = services.current_student(request)
    if student is None:
        return services.sign_in_first(request)
    materials = (
        StudentMaterial.objects.filter(student=student, material__active=True)
        .select_related("material")
        .order_by("material__title")
    )
    context = {
        "student": student,
        "materials": materials,
        "panels": navigation.home_panels(student),
    }
    return render_for_student(request, student, "portal/home.html", context, summaries=True)


@require_http_methods(["POST"])
def sign_out(request):
    services.sign_out(request)
    return redirect("portal:sign_in")


@require_http_methods(["GET"])
def my_subscription(request):
    student = services.current_student(request)
    if student is None:
        return services.sign_in_first(request)
    context = {"student": student, **subscription.overview(student)}
    return render_for_student(request, student, "portal/subscription.html", context)


@require_http_methods(["POST"])
def manage_subscription(request):
    """Stripe's Customer Portal (card, invoices, cancellation), in a fresh session."""
    student = services.current_student(request)
    if student is None:
        return services.sign_in_first(request)
    try:
        return redirect(create_portal_session(student=student))
    except BillingError as exc:
        logger.warning(
            "students.portal.billing_portal_failed", student_id=student.pk, error=str(exc)
        )
        return _billing_unavailable(request, student)


@require_http_methods(["POST"])
@throttled("lead_form")  # each click asks Stripe for a session
def upgrade(request, slug):
    student = services.current_student(request)
    if student is None:
        return services.sign_in_first(request)
    plan = get_object_or_404(subscription.upgrade_plans(student), slug=slug)
    try:
        return redirect(subscription.upgrade_checkout_url(student=student, plan=plan))
    except BillingError as exc:
        logger.warning("students.portal.upgrade_failed", student_id=student.pk, error=str(exc))
        return _billing_unavailable(request, student)


def _billing_unavailable(request, student):
    with translation.override(student.language):
        messages.error(
            request,
            _(
                "No pudimos abrir la página de pago en este momento. "
                "Inténtalo de nuevo en unos minutos."
            ),
        )
    return redirect("portal:subscription")


@require_http_methods(["GET"])
@cache_control(public=True, max_age=24 * 3600)
def manifest(request):
    """The web app manifest: the portal can be added to a phone's home screen."""
    icons = [
        {"src": static(f"portal/icon-{size}.png"), "sizes": f"{size}x{size}",
         "type": "image/png", "purpose": "any maskable"}
        for size in (192, 512)
    ]  # fmt: skip
    body = {
        "name": _("Portal del alumno"),
        "short_name": _("Mi curso"),
        "lang": translation.get_language() or "es",
        "start_url": reverse("portal:home"),
        "scope": reverse("portal:home"),
        "display": "standalone",
        "background_color": "#f4f5f7",
        "theme_color": "#1d4ed8",
        "icons": icons,
    }
    return JsonResponse(
        body, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False}
    )
