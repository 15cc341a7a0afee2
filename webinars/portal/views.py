"""Portal pages of the webinars app; the student comes from the students portal session."""

import mimetypes

from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.utils import translation
from django.views.decorators.http import require_http_methods

from courseops.ai import transcripts
from courseops.core.player import allow_player, playback_report, stored_video_url
from courseops.core.ranges import ranged_file_response
from students.portal.navigation import forget
from students.portal.services import current_student, sign_in_first
from students.portal.views import render_for_student
from webinars import calendar
from webinars.models import Registration
from webinars.portal import replay as replays
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
        return sign_in_first(request)
    return _page(request, student)


@require_http_methods(["POST"])
def register(request, pk):
    """Register to a webinar the student's plan includes; refused ones say why."""
    student = current_student(request)
    if student is None:
        return sign_in_first(request)
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
        return sign_in_first(request)
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


def _recording(request, pk):
    """(student, recording) of the replay page; (None, None) before sign-in."""
    student = current_student(request)
    if student is None:
        return None, None
    recording = replays.replay_for(student, pk)
    if recording is None:
        raise Http404
    return student, recording


@require_http_methods(["GET"])
def replay(request, pk):
    """The recording of a finished webinar, played in the portal's player."""
    student, recording = _recording(request, pk)
    if student is None:
        return sign_in_first(request)
    context = {"student": student, **replays.replay_context(recording, student)}
    response = render_for_student(request, student, "webinars/portal/replay.html", context)
    return allow_player(request, response, context["player"])


@require_http_methods(["GET", "HEAD"])
def replay_video(request, pk):
    """The uploaded video from storage on this machine, with ranges so the player seeks;
    on a bucket, a redirect to a fresh signed URL."""
    student, recording = _recording(request, pk)
    if student is None:
        return sign_in_first(request)
    if replays.replay_player(recording) is None or not recording.file:
        raise Http404
    storage, name = recording.file.storage, recording.file.name
    remote = stored_video_url(storage, name)
    if remote:
        return redirect(remote)
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = ranged_file_response(request, storage, name, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_http_methods(["GET"])
def replay_captions(request, pk):
    student, recording = _recording(request, pk)
    if student is None:
        return sign_in_first(request)
    export, content_type = transcripts.EXPORTS["vtt"]
    return HttpResponse(export(recording.transcript_segments), content_type=content_type)


@require_http_methods(["POST"])
def replay_playback(request, pk):
    """What the player reports every few seconds and on leaving the page."""
    student, recording = _recording(request, pk)
    if student is None:
        return HttpResponse(status=403)
    try:
        position, watched = playback_report(request.POST)
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc))
    replays.record_replay(
        student=student, recording=recording, position=position, watched_percent=watched
    )
    return HttpResponse(status=204)
