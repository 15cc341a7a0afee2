""" "Still true?" checks of engagement's drafts about a student (courseops/reviews/registry.py).

A nudge is drafted from the student's state at the scan (two weeks away, 40 % done, a
task not handed in); staff may approve it days later and the outbox may hold it through
quiet hours. Each check re-reads the state and says, in staff's words, why the draft no
longer holds; "" while it does.
"""

from datetime import timedelta

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from courseops.audit.services import log_action
from engagement.models import (
    Assignment,
    Intervention,
    Nudge,
    NudgeRule,
    StudentProgress,
    Submission,
)
from engagement.services.nudges import (
    PENDING_KINDS,
    _active_rules,
    _next_milestones,
    eligible,
)


def nudge_still_true(draft):
    nudge = draft.target
    if not isinstance(nudge, Nudge):
        return ""
    student, rule = nudge.student, nudge.rule
    if not eligible(student):
        return _("el estudiante ya no está activo (%(status)s).") % {
            "status": student.get_status_display()
        }
    progress = StudentProgress.objects.filter(student=student).first()
    if rule.kind == NudgeRule.Kind.INACTIVE:
        last = progress.last_activity_at if progress else None
        if last is not None and last >= timezone.now() - timedelta(days=rule.threshold):
            return _("el estudiante volvió al curso el %(day)s: ya no está inactivo.") % {
                "day": formats.date_format(timezone.localtime(last), "SHORT_DATE_FORMAT")
            }
        return ""
    if rule.kind in PENDING_KINDS:
        return _assignment_still_pending(nudge)
    if rule.kind in (NudgeRule.Kind.MILESTONE, NudgeRule.Kind.COURSE_COMPLETED):
        return _progress_still_in_range(nudge, progress)
    return ""


def nudge_withdrawn(draft, reason):
    """The nudge is skipped with the reason, also when its message was already queued:
    withdrawn at send time, that message never leaves."""
    nudge = draft.target
    if not isinstance(nudge, Nudge):
        return
    updated = (
        Nudge.objects.filter(pk=nudge.pk)
        .exclude(status=Nudge.Status.SKIPPED)
        .update(status=Nudge.Status.SKIPPED, skipped_reason=reason[:200])
    )
    if updated:
        log_action(nudge, "engagement.nudge.skipped", data={"reason": reason})


def _assignment_still_pending(nudge):
    assignment_id = nudge.occurrence.removeprefix("a")
    assignment = Assignment.objects.filter(pk=assignment_id if assignment_id.isdigit() else None)
    assignment = assignment.first()
    if assignment is None or not assignment.active:
        return _("la tarea ya no está activa.")
    if Submission.objects.filter(assignment=assignment, student=nudge.student).exists():
        return _("el estudiante ya entregó «%(title)s».") % {"title": assignment.title}
    return ""


def _progress_still_in_range(nudge, progress):
    """The milestone the text celebrates is still the student's: reached, and the next
    one not passed yet (that one speaks then); a completed course still completed."""
    total = getattr(getattr(nudge.student.plan, "curriculum", None), "lessons_total", 0) or 0
    done = progress.lessons_completed if progress else 0
    if nudge.rule.kind == NudgeRule.Kind.COURSE_COMPLETED:
        return "" if total and done >= total else _("el curso ya no está completado.")
    threshold = nudge.rule.threshold
    if not total or done * 100 < total * threshold:
        return _("el progreso ya no llega al %(pct)s %%.") % {"pct": threshold}
    following = _next_milestones(_active_rules()).get(threshold)
    if following and done * 100 >= total * following:
        return _("el progreso ya pasó el siguiente hito (%(pct)s %%).") % {"pct": following}
    return ""


def intervention_still_true(draft):
    """An at-risk intervention speaks to a student at risk: not once they are back."""
    intervention = draft.target
    if not isinstance(intervention, Intervention):
        return ""
    student = intervention.student
    if not eligible(student):
        return _("el estudiante ya no está activo (%(status)s).") % {
            "status": student.get_status_display()
        }
    progress = StudentProgress.objects.filter(student=student).first()
    last = progress.last_activity_at if progress else None
    if last is not None and last > intervention.created_at:
        return _("el estudiante volvió al curso el %(day)s, después del aviso de riesgo.") % {
            "day": formats.date_format(timezone.localtime(last), "SHORT_DATE_FORMAT")
        }
    return ""


def feedback_still_true(draft):
    """Feedback comments on the answer the student gave: not once they changed it."""
    submission = draft.target
    if not isinstance(submission, Submission):
        return ""
    drafted_on = (draft.context or {}).get("answer")
    if submission.text and drafted_on is not None and drafted_on != submission.text:
        return _("el estudiante cambió su entrega después del borrador.")
    return ""


def faq_answer_still_true(draft):
    """The AI's answer is for a question still waiting for it: not one the team took."""
    from engagement.models import Question

    question = draft.target
    if isinstance(question, Question) and question.status == Question.Status.HANDED_OVER:
        return _("la pregunta pasó al equipo, que la responde directamente.")
    return ""
