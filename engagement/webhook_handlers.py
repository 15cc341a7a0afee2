"""LMS deliveries that are student activity: Thinkific's sign-ins and completed lessons,
Teachable's lecture progress.

Discovered by courseops.webhooks. The student is matched by their LMS user id
(`Student.lms_user_id`, set when onboarding created the account), else by email.
"""

from django.utils.translation import gettext as _

from courseops.core.dates import datetime_or_none
from courseops.webhooks.errors import PermanentWebhookError
from courseops.webhooks.registry import webhook_handler
from engagement.models import ActivityKind, ActivitySource
from engagement.services.activity import Activity, record_activity
from students.models import Student


def _student(user):
    if not isinstance(user, dict):
        raise PermanentWebhookError(_("El evento no trae el usuario."))
    student = None
    if user.get("id") not in (None, ""):
        student = Student.objects.filter(lms_user_id=str(user["id"])).first()
    if student is None and user.get("email"):
        student = Student.objects.filter(email__iexact=str(user["email"]).strip()).first()
    if student is None:
        raise PermanentWebhookError(
            _("Ningún estudiante tiene el usuario del LMS %(id)s (%(email)s).")
            % {"id": user.get("id"), "email": user.get("email", "")}
        )
    return student


def _when(event, *candidates):
    for value in candidates:
        parsed = datetime_or_none(value)
        if parsed is not None and parsed.tzinfo is not None:
            return parsed
    return event.received_at


@webhook_handler("thinkific", "user.signin")
def thinkific_user_signed_in(event):
    data = event.payload["payload"]
    user = data.get("user", data)  # the signin payload is the user itself
    record_activity(
        Activity(
            student=_student(user),
            kind=ActivityKind.SIGN_IN,
            occurred_at=_when(event, event.payload.get("created_at")),
            source=ActivitySource.THINKIFIC,
            external_id=event.event_id,
        )
    )


@webhook_handler("thinkific", "lesson.completed")
def thinkific_lesson_completed(event):
    data = event.payload["payload"]
    lesson = data.get("lesson") if isinstance(data.get("lesson"), dict) else {}
    course = data.get("course") if isinstance(data.get("course"), dict) else {}
    if lesson.get("id") in (None, ""):
        raise PermanentWebhookError(_("El evento no trae la lección."))
    record_activity(
        Activity(
            student=_student(data.get("user")),
            kind=ActivityKind.LESSON_COMPLETED,
            occurred_at=_when(event, data.get("completed_at"), event.payload.get("created_at")),
            source=ActivitySource.THINKIFIC,
            external_id=event.event_id,
            metadata={
                "object_type": "lesson",
                "object_id": str(lesson["id"]),
                "title": str(lesson.get("name", ""))[:200],
                "course_id": str(course.get("id", "")),
            },
        )
    )


@webhook_handler("teachable", "LectureProgress.created")
def teachable_lecture_completed(event):
    """Teachable sends LectureProgress.created when a student completes a lecture."""
    data = event.payload["object"]
    lecture = data.get("lecture") if isinstance(data.get("lecture"), dict) else {}
    course = data.get("course") if isinstance(data.get("course"), dict) else {}
    lecture_id = lecture.get("id", data.get("lecture_id"))
    if lecture_id in (None, ""):
        raise PermanentWebhookError(_("El evento no trae la lección."))
    user = data.get("user") if isinstance(data.get("user"), dict) else {"id": data.get("user_id")}
    record_activity(
        Activity(
            student=_student(user),
            kind=ActivityKind.LESSON_COMPLETED,
            occurred_at=_when(event, data.get("created_at"), event.payload.get("created")),
            source=ActivitySource.TEACHABLE,
            external_id=event.event_id,
            metadata={
                "object_type": "lesson",
                "object_id": str(lecture_id),
                "title": str(lecture.get("name", ""))[:200],
                "course_id": str(course.get("id", data.get("course_id", ""))),
            },
        )
    )
