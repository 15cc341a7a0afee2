"""Review kinds of engagement drafts: `nudge_inactive` and `congratulations`.

Approving one queues the email through `send_nudge`, keyed by the nudge, so a second
draft for the same nudge, a double approval or a retried task still sends it once.
"""

from django.utils.translation import gettext_lazy as _

from courseops.reviews.automations import Automation, extend_automation, register_automation
from courseops.reviews.registry import ApplyError, EmailReviewKind, ReviewKind, register_kind
from courseops.reviews.sanitize import clean_email_html, email_text
from engagement.automations import DRIP_KIND, FAQ_ANSWERS, NUDGE_KINDS, NUDGES


class NudgeKind(EmailReviewKind):
    def __init__(self, *, name, label):
        from engagement.services.still_true import nudge_still_true, nudge_withdrawn

        super().__init__(
            name=name,
            label=label,
            category="engagement",
            still_true=nudge_still_true,
            withdrawn=nudge_withdrawn,
        )

    def apply(self, draft, user):
        from engagement.models import Nudge
        from engagement.services.nudges import send_nudge

        nudge = draft.target
        if not isinstance(nudge, Nudge):
            raise ApplyError(_("El aviso de este borrador ya no existe."), permanent=True)
        html = clean_email_html(draft.body)
        if not draft.subject.strip():
            raise ApplyError(_("El asunto está vacío."), permanent=True)
        return send_nudge(
            nudge=nudge, subject=draft.subject, body_html=html, body_text=email_text(html),
            related=draft,
        )  # fmt: skip


class DripKind(EmailReviewKind):
    """A drip message to a student; approving queues it once per student and step."""

    def __init__(self, *, name, label):
        from engagement.drip.services import drip_still_true, drip_withdrawn

        super().__init__(
            name=name,
            label=label,
            category="engagement",
            still_true=drip_still_true,
            withdrawn=drip_withdrawn,
        )

    def apply(self, draft, user):
        from engagement.drip.models import DripSend
        from engagement.drip.services import send_drip
        from students.onboarding.lms import LMSError

        send = draft.target
        if not isinstance(send, DripSend):
            raise ApplyError(_("El envío de este borrador ya no existe."), permanent=True)
        if not draft.subject.strip():
            raise ApplyError(_("El asunto está vacío."), permanent=True)
        html = clean_email_html(draft.body)
        try:
            return send_drip(
                send=send, subject=draft.subject, body_html=html, body_text=email_text(html),
                related=draft,
            )  # fmt: skip
        except LMSError as exc:
            raise ApplyError(str(exc), permanent=exc.permanent) from exc


class InterventionKind(ReviewKind):
    """An at-risk intervention: staff may change `data["intervention"]` before approving."""

    html = True

    def apply(self, draft, user):
        from engagement.models import Intervention
        from engagement.services.risk import apply_intervention

        intervention = draft.target
        if not isinstance(intervention, Intervention):
            raise ApplyError(_("La intervención de este borrador ya no existe."), permanent=True)
        kind = (draft.data or {}).get("intervention")
        if kind not in Intervention.Kind.values:
            raise ApplyError(
                _("Indica la intervención: message, call o one_on_one."), permanent=True
            )
        html = clean_email_html(draft.body)
        apply_intervention(
            intervention=intervention, kind=kind, subject=draft.subject, body_html=html,
            body_text=email_text(html), user=user,
        )  # fmt: skip


class AssignmentFeedbackKind(ReviewKind):
    """A suggested score (`data["score"]`) and feedback; staff may change either."""

    html = True

    def apply(self, draft, user):
        from django.core.exceptions import ValidationError

        from engagement.models import Submission
        from engagement.services.assignments import record_grade

        submission = draft.target
        if not isinstance(submission, Submission):
            raise ApplyError(_("La entrega de este borrador ya no existe."), permanent=True)
        html = clean_email_html(draft.body)
        try:
            return record_grade(
                submission=submission, score=(draft.data or {}).get("score"),
                feedback_html=html, feedback_text=email_text(html), subject=draft.subject,
                user=user,
            )  # fmt: skip
        except ValidationError as exc:
            raise ApplyError(" ".join(exc.messages), permanent=True) from exc


class FaqAnswerKind(ReviewKind):
    """An answer drafted from the knowledge base; approving emails it once."""

    html = True

    def apply(self, draft, user):
        from engagement.models import Question
        from engagement.services.faq import send_answer

        question = draft.target
        if not isinstance(question, Question):
            raise ApplyError(_("La pregunta de este borrador ya no existe."), permanent=True)
        html = clean_email_html(draft.body)
        return send_answer(
            question=question, subject=draft.subject, body_html=html,
            body_text=email_text(html), related=draft,
        )  # fmt: skip


def register():
    from engagement.services.still_true import (
        faq_answer_still_true,
        feedback_still_true,
        intervention_still_true,
    )

    register_automation(
        Automation(name=NUDGES, label=_("Avisos de seguimiento"), kinds=NUDGE_KINDS)
    )
    register_automation(
        Automation(name=FAQ_ANSWERS, label=_("Respuestas a preguntas"), kinds=["faq_answer"])
    )
    from students.onboarding.welcome import AUTOMATION as ONBOARDING

    extend_automation(ONBOARDING, [DRIP_KIND])
    register_kind(DripKind(name=DRIP_KIND, label=_("Bienvenida por etapas")))
    register_kind(NudgeKind(name="nudge_inactive", label=_("Aviso a estudiante inactivo")))
    register_kind(NudgeKind(name="nudge_pending", label=_("Recordatorio de tarea pendiente")))
    register_kind(NudgeKind(name="congratulations", label=_("Felicitación por progreso")))
    register_kind(
        InterventionKind(
            name="at_risk_intervention",
            label=_("Intervención por riesgo"),
            still_true=intervention_still_true,
        )
    )
    register_kind(
        AssignmentFeedbackKind(
            name="assignment_feedback",
            label=_("Corrección de tarea"),
            still_true=feedback_still_true,
        )
    )
    register_kind(
        FaqAnswerKind(
            name="faq_answer",
            label=_("Respuesta a una pregunta"),
            still_true=faq_answer_still_true,
        )
    )
