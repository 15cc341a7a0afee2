"""Portal pages of the students app: sign-in by emailed link, and the student's home."""

from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from courseops.core.pages import personal_link_page
from courseops.operations.throttling import throttled
from students.models import StudentMaterial
from students.portal import navigation, services
from students.portal.forms import SignInRequestForm


def render_for_student(request, student, template, context, *, summaries=False):
    """A portal page in the student's own language (the staff admin stays Spanish), with
    the navigation of the sections the apps registered (and their summaries: the home).

    Pages before sign-in stay in the site's language: answering the sign-in form in the
    language of the address typed would tell whether that address is a student's.
    """
    with translation.override(student.language):
        portal_nav = navigation.navigation(request, student, with_summaries=summaries)
        return render(request, template, {**context, "portal_nav": portal_nav})


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
            return redirect("portal:home")
        student = services.student_for_token(token=token)
    except services.InvalidLink as exc:
        return render(
            request,
            "portal/sign_in.html",
            {"form": SignInRequestForm(), "error": str(exc)},
            status=400,
        )
    return render_for_student(request, student, "portal/access.html", {"student": student})


@require_http_methods(["GET"])
def home(request):
    student = services.current_student(request)
    if student is None:
        return redirect("portal:sign_in")
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
