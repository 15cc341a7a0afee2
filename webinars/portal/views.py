"""Portal pages of the webinars app; the student comes from the students portal session."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import translation
from django.views.decorators.http import require_http_methods

from students.portal.navigation import forget
from students.portal.services import current_student
from students.portal.views import render_for_student
from webinars import calendar
from webinars.models import Registration
from webinars.portal import services
from webinars.services import RegistrationError, registration_create


def _page(request, student, *, error="", status=200):
    context = {"student": student, "error": error, **services.my_webinars(student)}
    response = render_for_student(request, student, "webinars/portal/my_webinars.html", context)
    response.status_code = status
    return response


@require_http_methods(["GET"])
def my_webinars(request):
    student = current_student(request)
    if student is None:
        return redirect("portal:sign_in")
    return _page(request, student)


@require_http_methods(["POST"])
def register(request, pk):
    """Register to a webinar the student's plan includes; refused ones say why."""
    student = current_student(request)
    if student is None:
        return redirect("portal:sign_in")
    webinar = get_object_or_404(services.open_webinars(student), pk=pk)
    try:
        with translation.override(student.language):  # a refusal is read by the student
            registration_create(
                webinar=webinar,
                student=student,
                source=Registration.Source.PORTAL,
                sms_consent=student.sms_consent_at is not None,
                consent_text=student.sms_consent_text,
            )
    except RegistrationError as exc:
        return _page(request, student, error=" ".join(exc.messages), status=400)
    forget(student)  # the home card now names this webinar
    return redirect("webinars_portal:my_webinars")


@require_http_methods(["GET"])
def ics(request, pk):
    """The student's own invitation to add to a calendar (personal link included)."""
    student = current_student(request)
    if student is None:
        return redirect("portal:sign_in")
    registration = (
        services.student_registrations(student)
        .filter(pk=pk, webinar__status__in=services.COMING)
        .first()
    )
    if registration is None:
        raise Http404
    response = HttpResponse(
        calendar.invitation(registration.webinar, registration),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="webinar-{registration.webinar_id}.ics"'
    )
    return response
