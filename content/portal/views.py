"""Portal pages of the content app; the student comes from the students portal session."""

from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from content.portal import services
from content.storage import content_storage
from courseops.ai import transcripts
from students.portal.services import current_student
from students.portal.views import render_for_student


def _student_lesson(request, pk):
    student = current_student(request)
    if student is None:
        return None, None
    lesson = services.lesson_for(student, pk)
    if lesson is None:
        raise Http404
    return student, lesson


@require_http_methods(["GET"])
def lessons(request):
    student = current_student(request)
    if student is None:
        return redirect("portal:sign_in")
    return render_for_student(
        request,
        student,
        "content/portal/lessons.html",
        {"student": student, "lessons": services.student_lessons(student)},
    )


@require_http_methods(["GET"])
def lesson(request, pk):
    student, lesson = _student_lesson(request, pk)
    if student is None:
        return redirect("portal:sign_in")
    progress = services.record_view(student=student, lesson=lesson)
    return render_for_student(
        request, student, "content/portal/lesson.html", _lesson_context(student, lesson, progress)
    )


def _lesson_context(student, lesson, progress, **extra):
    version = services.version_for(lesson, student.language)
    return {
        "student": student,
        "lesson": lesson,
        "progress": progress,
        "title": version["title"],
        "materials": version["materials"],
        "pdfs": services.pdf_languages(lesson),
        "key_points": [
            {"stamp": transcripts.stamp(p["seconds"]), "point": p["point"]}
            for p in version["materials"].get("key_points", [])
        ],
        "transcript": [
            {"stamp": transcripts.stamp(s["start"]), "text": s["text"]} for s in lesson.transcript
        ],
        "questions": version["quiz"].get("questions", []),
        "last_attempt": lesson.quiz_attempts.filter(student=student).first(),
        **extra,
    }


@require_http_methods(["POST"])
def quiz(request, pk):
    student, lesson = _student_lesson(request, pk)
    if student is None:
        return redirect("portal:sign_in")
    count = len(lesson.quiz.get("questions", []))
    answers = {str(i): request.POST.get(f"q{i}", "") for i in range(count)}
    missing = [int(i) + 1 for i, value in answers.items() if not value.isdigit()]
    if missing or not count:
        progress = services.record_view(student=student, lesson=lesson)
        context = _lesson_context(student, lesson, progress, missing=missing, answers=answers)
        response = render_for_student(request, student, "content/portal/lesson.html", context)
        response.status_code = 400
        return response
    services.submit_quiz(student=student, lesson=lesson, answers=answers)
    return redirect("content_portal:lesson", pk=lesson.pk)


@require_http_methods(["POST"])
def complete(request, pk):
    """A lesson without a quiz is completed by the student saying so; one with a quiz
    only by passing it."""
    student, lesson = _student_lesson(request, pk)
    if student is None:
        return redirect("portal:sign_in")
    if lesson.quiz.get("questions"):
        return HttpResponseBadRequest(_("Esta lección se completa aprobando su cuestionario."))
    services.complete_lesson(student=student, lesson=lesson)
    return redirect("content_portal:lesson", pk=lesson.pk)


@require_http_methods(["GET"])
def lesson_pdf(request, pk):
    student, lesson = _student_lesson(request, pk)
    if student is None:
        return redirect("portal:sign_in")
    language = request.GET.get("idioma") or lesson.language
    name = services.pdf_languages(lesson).get(language)
    if not name:
        raise Http404
    return FileResponse(
        content_storage().open(name, "rb"),
        as_attachment=True,
        filename=f"leccion-{lesson.order}-{language}.pdf",
    )


@require_http_methods(["GET"])
def transcript(request, pk, fmt):
    student, lesson = _student_lesson(request, pk)
    if student is None:
        return redirect("portal:sign_in")
    if fmt not in transcripts.EXPORTS:
        raise Http404
    export, content_type = transcripts.EXPORTS[fmt]
    return HttpResponse(export(lesson.transcript), content_type=content_type)
