"""Assignments: students hand work in (portal or API); the AI suggests a score and
feedback against the rubric (review kind `assignment_feedback`); approving records the
score and emails the feedback to the student once."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from courseops.ai import generate
from courseops.audit.services import log_action
from courseops.core import pending
from courseops.reviews.services import create_draft
from engagement.models import ActivityKind, ActivitySource, Assignment, Submission
from engagement.services import owed
from engagement.services.activity import Activity, record_activity

MAX_TEXT = 20_000


def assignments_for(student):
    return Assignment.objects.filter(active=True).filter(
        Q(plan__isnull=True) | Q(plan_id=student.plan_id)
    )


def pending_and_overdue(student, *, now=None):
    """(pending, overdue) counts: assignments of the student's plan not handed in, and of
    those the ones past their due date. Two queries, read when shown."""
    now = now or timezone.now()
    submitted = set(
        Submission.objects.filter(student=student).values_list("assignment_id", flat=True)
    )
    pending = [a for a in assignments_for(student) if a.pk not in submitted]
    overdue = [a for a in pending if (a.due_for(student) or now) < now]
    return len(pending), len(overdue)


def submit_assignment(*, assignment, student, text="", file=None, source=ActivitySource.PORTAL):
    """Hand in once (a second submission is refused); drafting the feedback is enqueued
    after commit."""
    text = (text or "").strip()
    if not text and not file:
        raise ValidationError(_("Escribe tu respuesta o adjunta un archivo."))
    if len(text) > MAX_TEXT:
        raise ValidationError(_("La respuesta supera los %(n)s caracteres.") % {"n": MAX_TEXT})
    if not assignments_for(student).filter(pk=assignment.pk).exists():
        raise ValidationError(_("Esta tarea no es de tu plan."))
    now = timezone.now()
    due = assignment.due_for(student)
    try:
        with transaction.atomic():
            submission = Submission.objects.create(
                assignment=assignment,
                student=student,
                text=text,
                file=file or "",
                submitted_at=now,
                late=bool(due and now > due),
            )
            record_activity(
                Activity(
                    student=student,
                    kind=ActivityKind.ASSIGNMENT_SUBMITTED,
                    occurred_at=now,
                    source=source,
                    external_id=f"submission:{submission.pk}",
                    target=submission,
                    metadata={"assignment_id": assignment.pk, "late": submission.late},
                )
            )
            log_action(submission, "engagement.submission.created", data={"late": submission.late})
            owed.feedback_owed(submission.pk)
    except IntegrityError as exc:
        raise ValidationError(_("Ya entregaste esta tarea.")) from exc
    return submission


def draft_feedback(*, submission_id):
    """The AI's suggested score and feedback, queued for review once per submission; the
    submission's mark goes once drafted (or no longer owed), unless marked again."""
    submission = Submission.objects.filter(pk=submission_id).first()
    if submission is None:
        return None
    seen = submission.feedback_due_since
    draft = _draft_feedback(submission_id)
    pending.done(submission, "feedback_due_since", seen)
    return draft


def _draft_feedback(submission_id):
    submission = (
        Submission.objects.select_related("assignment", "student")
        .filter(pk=submission_id, status=Submission.Status.SUBMITTED)
        .first()
    )
    if submission is None:
        return None
    assignment, student = submission.assignment, submission.student
    context = {
        "title": assignment.title,
        "instructions": assignment.instructions,
        "rubric": assignment.rubric,
        "max_score": assignment.max_score,
        "answer": submission.text or _("(Entregó un archivo: revísalo antes de aprobar.)"),
        "late": submission.late,
    }
    result = generate(
        "assignment_feedback",
        context,
        language=student.language,
        requested_by="engagement",
        subject=submission,
    )
    with translation.override(student.language):  # the subject the student will read
        subject = _("Comentarios de tu tarea «%(title)s»") % {"title": assignment.title}
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        if locked.status != Submission.Status.SUBMITTED:
            return None
        draft = create_draft(
            kind="assignment_feedback",
            target=locked,
            subject=subject,
            body=result.data["feedback_html"],
            data={"score": int(result.data["score"]), "rationale": result.data["rationale"]},
            context=context,
            ai_result=result,
            recipient=student.email,
        )
        Submission.objects.filter(pk=locked.pk, status=Submission.Status.SUBMITTED).update(
            status=Submission.Status.FEEDBACK_DRAFTED
        )
    return draft


def record_grade(*, submission, score, feedback_html, feedback_text, subject, user):
    """Approved: store the score and feedback, and email it (keyed: once)."""
    from courseops.messaging.services import queue_email

    if not isinstance(score, int) or not 0 <= score <= submission.assignment.max_score:
        raise ValidationError(
            _("La puntuación debe ser un entero entre 0 y %(max)s.")
            % {"max": submission.assignment.max_score}
        )
    with transaction.atomic():
        updated = (
            Submission.objects.filter(pk=submission.pk)
            .exclude(status=Submission.Status.GRADED)
            .update(
                status=Submission.Status.GRADED,
                score=score,
                feedback=feedback_text,
                graded_by=user if user and user.is_authenticated else None,
                graded_at=timezone.now(),
            )
        )
        if updated:
            log_action(submission, "engagement.submission.graded", user=user, data={"score": score})
    student = submission.student
    return queue_email(
        to=student.email,
        idempotency_key=f"engagement.submission.{submission.pk}.feedback",
        template="engagement/assignment_feedback",
        context={
            "subject": subject,
            "name": student.first_name,
            "title": submission.assignment.title,
            "score": score,
            "max_score": submission.assignment.max_score,
            "body_html": feedback_html,
            "body_text": feedback_text,
        },
        related=submission,
        language=student.language,
    )
