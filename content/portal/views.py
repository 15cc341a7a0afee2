"""Portal pages of the content app; the student comes from the students portal session."""

import mimetypes

from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from content.portal import outline, player, services
from content.services import infographic
from content.storage import content_storage
from courseops.ai import transcripts
from courseops.core import player as portal_player
from courseops.core.ranges import ranged_file_response
from students.portal.services import current_student, sign_in_first
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
        return sign_in_first(request)
    return render_for_student(
        request,
        student,
        "content/portal/lessons.html",
        {"student": student, "outlines": outline.course_outlines(student)},
    )


@require_http_methods(["GET"])
def lesson(request, pk):
    student, lesson = _student_lesson(request, pk)
    if student is None:
        return sign_in_first(request)
    progress = services.record_view(student=student, lesson=lesson)
    return _render_lesson(request, student, lesson, progress)


def _render_lesson(request, student, lesson, progress, status=200, **extra):
    context = _lesson_context(student, lesson, progress, **extra)
    response = render_for_student(request, student, "content/portal/lesson.html", context)
    response.status_code = status
    return portal_player.allow_player(request, response, context["player"])


def _lesson_context(student, lesson, progress, **extra):
    version = services.version_for(lesson, student.language)
    course, number = outline.outline_of(student, lesson)
    return {
        "outline": course,
        "number": number,
        "next_item": course.lessons[number] if course and number < course.total else None,
        "student": student,
        "lesson": lesson,
        "progress": progress,
        "player": player.player_for(lesson),
        "chapters": portal_player.chapters(version["materials"].get("key_points", [])),
        "title": version["title"],
        "materials": version["materials"],
        "pdfs": services.pdf_languages(lesson),
        # Reviewed in the lesson's language: shown with the original materials only.
        "infographic": mark_safe(infographic.approved_svg(lesson))  # noqa: S308  (our template, autoescaped)
        if version["title"] == lesson.title and version["materials"] is lesson.materials
        else "",
        "key_points": [
            {
                "seconds": int(p["seconds"]),
                "stamp": transcripts.stamp(p["seconds"]),
                "point": p["point"],
            }
            for p in version["materials"].get("key_points", [])
        ],
        "transcript": [
            {"seconds": int(s["start"]), "stamp": transcripts.stamp(s["start"]), "text": s["text"]}
            for s in lesson.transcript
        ],
        **_quiz_context(student, lesson, version["quiz"].get("questions", [])),
        **extra,
    }


def _quiz_context(student, lesson, questions):
    attempts = list(lesson.quiz_attempts.filter(student=student).order_by("-created_at")[:1])
    last = attempts[0] if attempts else None
    return {
        "questions": questions,
        "last_attempt": last,
        "attempts_count": lesson.quiz_attempts.filter(student=student).count() if last else 0,
        "review": services.quiz_review(questions=questions, attempt=last) if last else [],
        "pass_mark": services.pass_mark(len(questions)) if questions else 0,
    }


@require_http_methods(["POST"])
def quiz(request, pk):
    student, lesson = _student_lesson(request, pk)
    if student is None:
        return sign_in_first(request)
    count = len(lesson.quiz.get("questions", []))
    answers = {str(i): request.POST.get(f"q{i}", "") for i in range(count)}
    missing = [int(i) + 1 for i, value in answers.items() if not value.isdigit()]
    if missing or not count:
        progress = services.record_view(student=student, lesson=lesson)
        return _render_lesson(
            request, student, lesson, progress, status=400, missing=missing, answers=answers
        )
    services.submit_quiz(student=student, lesson=lesson, answers=answers)
    return redirect(reverse("content_portal:lesson", args=[lesson.pk]) + "#resultado")


@require_http_methods(["POST"])
def complete(request, pk):
    """A lesson without a quiz is completed by the student saying so; one with a quiz
    only by passing it."""
    student, lesson = _student_lesson(request, pk)
    if student is None:
        return sign_in_first(request)
    if lesson.quiz.get("questions"):
        return HttpResponseBadRequest(_("Esta lección se completa aprobando su cuestionario."))
    services.complete_lesson(student=student, lesson=lesson)
    return redirect("content_portal:lesson", pk=lesson.pk)


@require_http_methods(["GET"])
def lesson_pdf(request, pk):
    student, lesson = _student_lesson(request, pk)
    if student is None:
        return sign_in_first(request)
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
        return sign_in_first(request)
    if fmt not in transcripts.EXPORTS:
        raise Http404
    export, content_type = transcripts.EXPORTS[fmt]
    return HttpResponse(export(lesson.transcript), content_type=content_type)


@require_http_methods(["GET", "HEAD"])
def video(request, pk):
    """The lesson's video from storage on this machine, with ranges so the player seeks;
    on an S3 bucket the player has the signed URL and this redirects to a fresh one."""
    student, lesson = _student_lesson(request, pk)
    if student is None:
        return sign_in_first(request)
    if not lesson.video:
        raise Http404
    remote = portal_player.stored_video_url(content_storage(), lesson.video.name)
    if remote:
        return redirect(remote)
    content_type = mimetypes.guess_type(lesson.video.name)[0] or "application/octet-stream"
    response = ranged_file_response(
        request, content_storage(), lesson.video.name, content_type=content_type
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_http_methods(["POST"])
def playback(request, pk):
    """What the player reports every few seconds and on leaving the page: the position
    and the share of the video seen, both in whole units."""
    student, lesson = _student_lesson(request, pk)
    if student is None:
        return HttpResponse(status=403)
    try:
        position, watched = portal_player.playback_report(request.POST)
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc))
    services.record_playback(
        student=student, lesson=lesson, position=position, watched_percent=watched
    )
    return HttpResponse(status=204)
