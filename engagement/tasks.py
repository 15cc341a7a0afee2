"""Thin tasks: ids in, one service call."""

import logging

from celery import shared_task

from courseops.ai import AIError
from engagement.drip import services as drip
from engagement.models import Question, RiskScore, Submission
from engagement.services import assignments, faq, nudges, owed, risk, student_digest
from engagement.services import weekly_report as weekly_report_service

logger = logging.getLogger(__name__)


@shared_task(name="engagement.scan_nudges", ignore_result=True)
def scan_nudges():
    nudges.scan_rules()


@shared_task(name="engagement.draft_nudges", ignore_result=True)
def draft_nudges(nudge_ids):
    """A nudge whose AI call fails stays `claimed`: the next scan drafts it again, so one
    failure (budget spent, provider down) does not hold up the rest of the chunk."""
    for nudge_id in nudge_ids:
        try:
            nudges.draft_nudge(nudge_id=nudge_id)
        except AIError as exc:
            logger.warning(
                "engagement.nudge.draft_failed", extra={"nudge": nudge_id, "error": str(exc)}
            )


@shared_task(name="engagement.score_risk", ignore_result=True)
def score_risk():
    risk.daily_risk_run()


@shared_task(name="engagement.suggest_interventions", ignore_result=True)
def suggest_interventions(student_ids):
    for score in RiskScore.objects.filter(student_id__in=student_ids).select_related(
        "student", "student__plan"
    ):
        try:
            risk.suggest_intervention(risk=score)
        except AIError as exc:
            logger.warning(
                "engagement.intervention.failed",
                extra={"student": score.student_id, "error": str(exc)},
            )


@shared_task(name="engagement.weekly_report", ignore_result=True)
def weekly_report():
    weekly_report_service.weekly_report_run()


@shared_task(bind=True, name="engagement.draft_assignment_feedback", ignore_result=True)
def draft_assignment_feedback(self, submission_id):
    """Transient AI errors retry with backoff; the submission stays `submitted` meanwhile."""
    try:
        assignments.draft_feedback(submission_id=submission_id)
    except AIError as exc:
        if not exc.permanent and self.request.retries < 5:
            raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc
        logger.warning(
            "engagement.feedback.draft_failed",
            extra={"submission": submission_id, "error": str(exc)},
        )
        owed.given_up(Submission, submission_id, "feedback_due_since")


@shared_task(bind=True, name="engagement.answer_question", ignore_result=True)
def answer_question_task(self, question_id):
    """Transient AI errors retry with backoff; a permanent one hands the question over."""
    try:
        faq.answer_question(question_id=question_id)
    except AIError as exc:
        if not exc.permanent and self.request.retries < 5:
            raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc
        question = Question.objects.filter(pk=question_id).first()
        if question is not None:
            faq.hand_over(question, reason=str(exc)[:200])
        owed.given_up(Question, question_id, "answer_due_since")


@shared_task(name="engagement.weekly_progress_emails", ignore_result=True)
def weekly_progress_emails():
    student_digest.send_weekly_progress()


@shared_task(name="engagement.scan_drip", ignore_result=True)
def scan_drip():
    drip.scan_drip()


@shared_task(name="engagement.draft_drip_messages", ignore_result=True)
def draft_drip_messages(send_ids):
    """A message whose AI call fails stays `claimed`: a later scan drafts it again, so one
    failure does not hold up the rest of the chunk."""
    for send_id in send_ids:
        try:
            drip.draft_drip(send_id=send_id)
        except AIError as exc:
            logger.warning(
                "engagement.drip.draft_failed", extra={"send": send_id, "error": str(exc)}
            )


@shared_task(name="engagement.enqueue_owed_work", ignore_result=True)
def enqueue_owed_work():
    owed.enqueue_due()
