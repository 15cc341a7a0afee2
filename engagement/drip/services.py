"""The onboarding drip: the scan that claims each due message once, the AI draft that
personalises it, and the email that goes out through the outbox.

Day N of a message is the student's N-th local day after their onboarding finished
(`activated_at`), at SEND_HOUR in their own time zone: activated at 23:30 in Mexico City,
day 1 is the next morning there, not 30 minutes later. A message is claimed from its due
time for CLAIM_WINDOW only (a student who finished onboarding months before the drip
existed, or a scan down for days, gets no stale "day 1"), and withdrawn if it has not left
SEND_LIMIT after its due time (approved too late, held over budget).

Claiming follows the nudges' scan: candidates come from one query per drip message (a
handful of rows: plans x steps), and each is claimed by inserting its unique
(student, goal) row with `ignore_conflicts`, so duplicate scans, two scans at once and a
scan retried after a crash claim each step of each student once. A student who already
took the step gets the row as `skipped` (staff see why on the student's page); the others
are drafted in tasks. A claim left `claimed` by a lost task is drafted by a later scan.

Only students who went through onboarding get it: imported ones (an old LMS's users,
never contacted) and students who never had a pipeline do not. The drafts are of kind
`onboarding_drip` in students' `onboarding` automation: its rollout (shadow, review, a
percentage, automatic) and the kind's review policy decide, as for the welcome email.
"""

import logging
import uuid
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from courseops.ai import generate
from courseops.audit.services import log_action
from courseops.core.display import as_zone
from courseops.messaging.models import Category
from courseops.messaging.services import queue_email
from courseops.messaging.services.policy import quiet_hours_end
from courseops.reviews.sanitize import email_text, markdown_email_html
from courseops.reviews.services import create_draft
from engagement.automations import DRIP_KIND
from engagement.drip.goals import has_reached, reached
from engagement.drip.models import DripGoal, DripMessage, DripSend
from engagement.services.next_lesson import next_lesson_annotations, next_lesson_url
from students.models import IMPORTED_SOURCES, OnboardingStep, Student
from students.onboarding import lms
from students.onboarding.welcome import AUTOMATION, welcome_context

logger = logging.getLogger(__name__)

SEND_HOUR = time(10, 0)
CLAIM_WINDOW = timedelta(days=1)
SEND_LIMIT = timedelta(days=2)
# A claim still `claimed` this long after its scan lost its drafting task.
STALE_CLAIM = timedelta(minutes=15)
DRAFT_CHUNK = 50
PROMPT = "onboarding_drip"
# Due time minus activation lies within (day-1 days + 10 h, day days + 10 h] give or take a
# daylight-saving change: the SQL window is that, widened by MARGIN, and each candidate's
# exact due time is then worked out in its own zone.
MARGIN = timedelta(hours=3)
SEND_HOUR_OFFSET = timedelta(hours=SEND_HOUR.hour, minutes=SEND_HOUR.minute)


def _reached_reason(goal):
    return {
        DripGoal.SIGN_IN: _("ya entró al portal."),
        DripGoal.FIRST_LESSON: _("ya vio una lección."),
        DripGoal.FIRST_WEBINAR: _("ya se apuntó a un webinar o asistió a uno."),
    }[goal]


# --- When --------------------------------------------------------------------------------


def due_at(activated_at, day, time_zone):
    """SEND_HOUR on the student's `day`-th local day after `activated_at`, as UTC."""
    zone = as_zone(time_zone)
    local_day = activated_at.astimezone(zone).date() + timedelta(days=day)
    return datetime.combine(local_day, SEND_HOUR, tzinfo=zone).astimezone(UTC)


def eligible_students():
    """Students the drip may speak to: onboarded by the pipeline, not imported, with access."""
    went_through_onboarding = OnboardingStep.objects.filter(student=OuterRef("pk"))
    return (
        Student.objects.filter(status=Student.Status.ACTIVE, activated_at__isnull=False)
        .exclude(source__in=IMPORTED_SOURCES)
        .filter(Exists(went_through_onboarding))
    )


# --- Claiming ----------------------------------------------------------------------------


def _candidates(drip_message, now):
    day = timedelta(days=drip_message.day)
    students = (
        eligible_students()
        .filter(
            plan_id=drip_message.plan_id,
            activated_at__gt=now - day - SEND_HOUR_OFFSET - MARGIN - CLAIM_WINDOW,
            activated_at__lte=now - day + timedelta(days=1) - SEND_HOUR_OFFSET + MARGIN,
        )
        .filter(~Exists(DripSend.objects.filter(student=OuterRef("pk"), goal=drip_message.goal)))
        .annotate(
            reached=ExpressionWrapper(reached(drip_message.goal), output_field=BooleanField())
        )
        .values_list("pk", "activated_at", "time_zone", "reached")
        .order_by()
    )
    for student_id, activated_at, time_zone, already in students.iterator(chunk_size=2000):
        due = due_at(activated_at, drip_message.day, time_zone)
        if due <= now < due + CLAIM_WINDOW:
            yield DripSend(
                student_id=student_id,
                goal=drip_message.goal,
                drip_message=drip_message,
                day=drip_message.day,
                due_at=due,
                status=DripSend.Status.SKIPPED if already else DripSend.Status.CLAIMED,
                skipped_reason=_reached_reason(drip_message.goal) if already else "",
            )


def scan_drip(*, now=None):
    """Claim the drip messages due now and enqueue their drafting; returns how many this
    run claimed (to draft or skipped)."""
    now = now or timezone.now()
    scan_id = uuid.uuid4().hex
    claims = []
    for drip_message in DripMessage.objects.filter(active=True, plan__active=True):
        for claim in _candidates(drip_message, now):
            claim.scan_id = scan_id
            claims.append(claim)
    DripSend.objects.bulk_create(claims, ignore_conflicts=True)
    mine = DripSend.objects.filter(scan_id=scan_id)
    claimed = list(mine.filter(status=DripSend.Status.CLAIMED).values_list("pk", flat=True))
    stale = list(
        DripSend.objects.filter(
            status=DripSend.Status.CLAIMED, created_at__lt=now - STALE_CLAIM
        ).values_list("pk", flat=True)[:1000]
    )
    _enqueue_drafting(claimed + stale)
    logger.info("engagement.drip.scan", extra={"claimed": len(claimed), "stale": len(stale)})
    return mine.count()


def _enqueue_drafting(ids):
    from engagement.tasks import draft_drip_messages

    for start in range(0, len(ids), DRAFT_CHUNK):
        chunk = ids[start : start + DRAFT_CHUNK]
        transaction.on_commit(lambda chunk=chunk: draft_drip_messages.delay(chunk), robust=True)


# --- Still true? ---------------------------------------------------------------------------


def stale_reason(send, *, now=None):
    """Why this drip message must not go (any more), in staff's words; "" while it may."""
    now = now or timezone.now()
    student = send.student
    if student.status != Student.Status.ACTIVE:
        return _("el estudiante ya no está activo (%(status)s).") % {
            "status": student.get_status_display()
        }
    if has_reached(student, send.goal):
        return _reached_reason(send.goal)
    if now >= send.due_at + SEND_LIMIT:
        return _("llega tarde: tocaba el %(day)s.") % {
            "day": formats.date_format(
                timezone.localtime(send.due_at, as_zone(student.time_zone)), "SHORT_DATE_FORMAT"
            )
        }
    return ""


def skip_send(send, reason):
    updated = (
        DripSend.objects.filter(pk=send.pk)
        .exclude(status__in=(DripSend.Status.SKIPPED, DripSend.Status.SENT))
        .update(status=DripSend.Status.SKIPPED, skipped_reason=reason[:200])
    )
    if updated:
        log_action(send, "engagement.drip.skipped", data={"reason": reason})
    return updated


def drip_still_true(draft):
    send = draft.target
    if not isinstance(send, DripSend):
        return ""
    return stale_reason(send)


def drip_withdrawn(draft, reason):
    """Withdrawn at approval, apply or send time: the step is closed for this student."""
    send = draft.target
    if isinstance(send, DripSend):
        DripSend.objects.filter(pk=send.pk).exclude(status=DripSend.Status.SKIPPED).update(
            status=DripSend.Status.SKIPPED, skipped_reason=reason[:200]
        )
        log_action(send, "engagement.drip.skipped", data={"reason": reason})


# --- Drafting ------------------------------------------------------------------------------


def _merge_name(text, first_name, *, html):
    return text.replace("{nombre}", escape(first_name) if html else first_name)


def drip_context(send):
    """What the AI is given: the welcome's facts about the student and the staff's message
    in the student's language, with their name in it."""
    student = send.student
    with translation.override(student.language):
        context = welcome_context(student)
    subject, body = send.drip_message.texts(student.language)
    html = _merge_name(markdown_email_html(body), student.first_name, html=True)
    context.update(
        day=send.day,
        goal=send.goal,
        message_subject=_merge_name(subject, student.first_name, html=False),
        message_html=html,
        message_text=email_text(html),
    )
    return context


def draft_drip(*, send_id):
    """Write one claimed message's draft (the AI call is outside any transaction); under
    the rollout it waits for staff, goes out at once, or stays in shadow."""
    send = (
        DripSend.objects.select_related("student__plan", "drip_message").filter(pk=send_id).first()
    )
    if send is None or send.status != DripSend.Status.CLAIMED:
        return None
    if send.drip_message is None or not send.drip_message.active:
        skip_send(send, _("el mensaje se desactivó o se borró."))
        return None
    reason = stale_reason(send)
    if reason:
        skip_send(send, reason)
        return None
    context = drip_context(send)
    result = generate(
        PROMPT,
        context,
        language=send.student.language,
        requested_by="engagement.drip",
        subject=send.student,
    )
    with transaction.atomic():
        locked = DripSend.objects.select_for_update().get(pk=send.pk)
        if locked.status != DripSend.Status.CLAIMED:
            return None  # another worker drafted it meanwhile
        draft = create_draft(
            kind=DRIP_KIND,
            target=locked,
            subject=result.data["subject"],
            body=result.data["body_html"],
            context=context,
            ai_result=result,
            recipient=send.student.email,
        )
        DripSend.objects.filter(pk=locked.pk).update(status=DripSend.Status.DRAFTED, draft=draft)
    return draft


# --- Sending -------------------------------------------------------------------------------


def _action(send):
    """The button: (label, url) for the step the message asks for."""
    student = send.student
    if send.goal == DripGoal.FIRST_LESSON:
        lesson = (
            Student.objects.filter(pk=student.pk)
            .annotate(**next_lesson_annotations())
            .values_list("next_lesson_id", flat=True)
            .first()
        )
        if lesson:
            return _("Ver la lección"), next_lesson_url(lesson)
    if send.goal == DripGoal.FIRST_WEBINAR:
        return _("Ver los webinars"), settings.SITE_URL + reverse("webinars_portal:my_webinars")
    return _("Entrar a mi plataforma"), lms.access_url(student)


def send_drip(*, send, subject, body_html, body_text, related):
    """Queue the approved message once (the key is the claim's, whatever drafts it had),
    never in the student's quiet hours; the outbox then applies consent, quiet hours,
    budgets and the rollout, and checks again that it is still true."""
    student = send.student
    now = timezone.now()
    with translation.override(student.language):
        label, url = _action(send)
    zone = as_zone(student.time_zone)
    message = queue_email(
        to=student.email,
        idempotency_key=f"engagement.drip.{send.pk}",
        subject=subject,
        template="engagement/drip",
        context={
            "subject": subject,
            "body_html": body_html,
            "body_text": body_text,
            "action_label": str(label),
            "action_url": url,
        },
        category=Category.ENGAGEMENT,
        send_at=quiet_hours_end(now=now, tz=zone, spec=settings.MESSAGING_QUIET_HOURS),
        related=related,
        language=student.language,
        automation=AUTOMATION,
    )
    updated = DripSend.objects.filter(pk=send.pk).exclude(status=DripSend.Status.SENT)
    if updated.update(status=DripSend.Status.SENT, message=message, sent_at=now):
        log_action(send, "engagement.drip.sent", data={"message": message.pk})
    return message
