"""The student's own pages in the portal (progress, assignments, questions) and the
"did this help?" page of FAQ answers."""

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from content.portal.outline import course_outlines
from courseops.core.pages import personal_link_page
from engagement.forms import QuestionForm, SubmissionForm
from engagement.models import Certificate, Question, StudentProgress, Submission
from engagement.services import faq
from engagement.services.assignments import assignments_for, submit_assignment
from engagement.services.certificates import certificate_for, verify_url
from engagement.services.progress import lessons_elsewhere, progress_for
from engagement.services.student_digest import set_weekly_email
from students.portal.services import current_student, sign_in_first
from students.portal.views import render_for_student


@require_http_methods(["GET", "POST"])
def portal_progress(request):
    """The student's progress; POST switches their weekly progress email on or off."""
    student = current_student(request)
    if student is None:
        return sign_in_first(request)
    if request.method == "POST":
        set_weekly_email(student=student, enabled=request.POST.get("weekly_email") == "on")
        return redirect("engagement:portal-progress")
    weekly = StudentProgress.objects.filter(student=student, weekly_email=True).exists()
    return render_for_student(
        request,
        student,
        "engagement/portal/progress.html",
        {
            "student": student,
            "progress": progress_for(student),
            # Per course, the same numbers as the lessons page and the home.
            "courses": course_outlines(student),
            "lessons_elsewhere": lessons_elsewhere(student),
            "weekly_email": weekly,
        },
    )


@require_GET
def portal_certificate(request):
    """The student's certificate (issued here the first time they come with the course
    finished), its public verification address and the PDF; or how far they are."""
    student = current_student(request)
    if student is None:
        return sign_in_first(request)
    progress = progress_for(student)
    found = certificate_for(student, progress)
    return render_for_student(
        request,
        student,
        "engagement/portal/certificate.html",
        {
            "student": student,
            "progress": progress,
            "certificate": found,
            "verify_url": verify_url(found) if found else "",
        },
    )


@require_GET
def portal_certificate_pdf(request):
    student = current_student(request)
    if student is None:
        return sign_in_first(request)
    found = Certificate.objects.filter(student=student, plan_id=student.plan_id).first()
    if found is None or not found.pdf:
        raise Http404
    return FileResponse(
        found.pdf.open("rb"), as_attachment=True, filename=f"certificado-{found.code}.pdf"
    )


@require_GET
def portal_assignments(request):
    student = current_student(request)
    if student is None:
        return sign_in_first(request)
    submissions = {s.assignment_id: s for s in Submission.objects.filter(student=student)}
    rows = [
        (assignment, assignment.due_for(student), submissions.get(assignment.pk))
        for assignment in assignments_for(student)
    ]
    return render_for_student(
        request, student, "engagement/portal/assignments.html", {"student": student, "rows": rows}
    )


@require_http_methods(["GET", "POST"])
def portal_assignment(request, pk):
    student = current_student(request)
    if student is None:
        return sign_in_first(request)
    assignment = get_object_or_404(assignments_for(student), pk=pk)
    submission = Submission.objects.filter(assignment=assignment, student=student).first()
    form = SubmissionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and submission is None and form.is_valid():
        try:
            with translation.override(student.language):  # the refusal is for the student
                submit_assignment(
                    assignment=assignment,
                    student=student,
                    text=form.cleaned_data["text"],
                    file=form.cleaned_data["file"],
                )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("engagement:portal-assignment", pk=assignment.pk)
    context = {
        "student": student,
        "assignment": assignment,
        "due": assignment.due_for(student),
        "submission": submission,
        "form": form,
    }
    response = render_for_student(request, student, "engagement/portal/assignment.html", context)
    response.status_code = 400 if form.is_bound else 200
    return response


@require_http_methods(["GET", "POST"])
def portal_questions(request):
    student = current_student(request)
    if student is None:
        return sign_in_first(request)
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with translation.override(student.language):
                faq.ask_question(text=form.cleaned_data["text"], student=student)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("engagement:portal-questions")
    questions = Question.objects.filter(student=student).order_by("-created_at")[:20]
    response = render_for_student(
        request,
        student,
        "engagement/portal/questions.html",
        {"student": student, "form": form, "questions": questions},
    )
    response.status_code = 400 if form.is_bound else 200
    return response


@personal_link_page
@require_http_methods(["GET", "POST"])
def faq_vote(request, token):
    """GET only asks (mail scanners follow links); POST records the vote. In the language
    of the question's answer."""
    try:
        data = signing.loads(token, salt=faq.VOTE_SALT)
        helpful = data["h"]
    except (signing.BadSignature, KeyError, TypeError):
        return render(
            request,
            "engagement/faq_vote.html",
            {"error": _("El enlace no es válido.")},
            status=400,
        )
    language = Question.objects.filter(pk=data.get("q")).values_list("language", flat=True).first()
    with translation.override(language or settings.LANGUAGE_CODE):
        if request.method == "POST":
            faq.record_vote(token=token)
            return render(request, "engagement/faq_vote.html", {"recorded": True})
        return render(request, "engagement/faq_vote.html", {"helpful": helpful})


@personal_link_page
@require_GET
def certificate(request, code):
    """Public: anyone holding the code (printed on the PDF) can check it is genuine; in
    the language the certificate was issued in (the student's)."""
    found = get_object_or_404(Certificate.objects.select_related("plan", "student"), code=code)
    with translation.override(found.student.language):
        return render(request, "engagement/certificate_verify.html", {"certificate": found})
