"""Who gets which survey, and when: each scan is one query for the people due."""

from datetime import timedelta

from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from courseops.core import pending
from courseops.messaging.models import OutboundMessage, Status
from engagement.services.progress import students_who_finished
from students.models import Student
from surveys.models import Survey
from surveys.services import invite, not_yet_invited, survey_for
from webinars.models import Registration, Webinar

# Past this, a survey is no longer worth sending (the memory has faded).
WEBINAR_WINDOW = timedelta(days=14)
NPS_WINDOW = timedelta(days=7)
NPS_DAY = 30
LESSON_WINDOW = timedelta(days=7)


def send_webinar_surveys(now=None):
    """Attendees whose follow-up (recording and summary) went out get the satisfaction
    survey, once, after it: the follow-up's outbox row is what says it went."""
    now = now or timezone.now()
    followup_sent = OutboundMessage.objects.filter(
        idempotency_key=Concat(
            Value("webinars.followup."), Cast(OuterRef("pk"), output_field=CharField())
        ),
        status__in=[Status.SENT, Status.DELIVERED],
    )
    due = (
        Registration.objects.filter(
            attended=True,
            cancelled_at__isnull=True,
            webinar__status=Webinar.Status.FINISHED,
            webinar__starts_at__gte=now - WEBINAR_WINDOW,
        )
        .filter(Exists(followup_sent), not_yet_invited("surveys.webinar."))
        .select_related("webinar")
    )
    surveys = {}
    sent = 0
    for registration in due.iterator(chunk_size=500):
        webinar = registration.webinar
        if webinar.pk not in surveys:
            surveys[webinar.pk] = survey_for(Survey.Kind.WEBINAR, webinar=webinar)
        invite(
            surveys[webinar.pk],
            email=registration.email,
            name=registration.name,
            idempotency_key=f"surveys.webinar.{registration.pk}",
            language=registration.language,
            related=registration,
        )
        sent += 1
    return sent


def send_nps_day_30(now=None):
    """Students 30 days in (within a week's grace, so a missed run catches up) get the NPS."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=NPS_DAY)
    due = Student.objects.filter(
        created_at__lte=cutoff,
        created_at__gt=cutoff - NPS_WINDOW,
        status__in=[Student.Status.ACTIVE, Student.Status.PAST_DUE],
    ).filter(not_yet_invited("surveys.nps_day_30."))
    survey = None
    sent = 0
    for student in due.iterator(chunk_size=500):
        survey = survey or survey_for(Survey.Kind.NPS_DAY_30)
        invite(
            survey,
            email=student.email,
            name=student.full_name,
            idempotency_key=f"surveys.nps_day_30.{student.pk}",
            language=student.language,
            related=student,
        )
        sent += 1
    return sent


def send_nps_course_end(now=None):
    """Students who finished their course (every lesson of their plan's curriculum, as
    engagement counts them, from the portal or an LMS) get the NPS, once per student and
    plan. Only when the last lesson was finished within the week's grace: a course
    finished long ago (or an old LMS import) is not worth asking about."""
    now = now or timezone.now()
    due = (
        students_who_finished(since=now - NPS_WINDOW, until=now)
        .exclude(status=Student.Status.ONBOARDING)
        .filter(not_yet_invited("surveys.nps_course_end.", "pk", "plan_id"))
    )
    survey = None
    sent = 0
    for student in due.iterator(chunk_size=500):
        survey = survey or survey_for(Survey.Kind.NPS_COURSE_END)
        invite(
            survey,
            email=student.email,
            name=student.full_name,
            idempotency_key=f"surveys.nps_course_end.{student.pk}.{student.plan_id}",
            language=student.language,
            related=student,
        )
        sent += 1
    return sent


def send_lesson_surveys(now=None):
    """Students who completed a lesson (within a week) and have no lesson survey yet: the
    task asked for on completion was lost. Completing sets `completed_at` in its own
    transaction, so this also finds a completion whose signal never ran. Past the grace
    only, to leave the task its time (its outbox key makes either one send it once)."""
    from content.models import LessonProgress

    now = now or timezone.now()
    due = (
        LessonProgress.objects.filter(
            completed_at__gt=now - LESSON_WINDOW, completed_at__lte=now - pending.GRACE
        )
        .filter(not_yet_invited("surveys.lesson.", "lesson_id", "student_id"))
        .select_related("lesson", "student")
    )
    sent = 0
    for progress in due.iterator(chunk_size=500):
        send_lesson_survey(lesson=progress.lesson, student=progress.student)
        sent += 1
    return sent


def send_lesson_survey(*, lesson, student):
    """With a lesson's materials done: how useful were they (once per student and lesson)."""
    return invite(
        survey_for(Survey.Kind.LESSON, lesson=lesson),
        email=student.email,
        name=student.full_name,
        idempotency_key=f"surveys.lesson.{lesson.pk}.{student.pk}",
        language=student.language,
        related=student,
    )
