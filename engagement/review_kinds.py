"""Review kinds of engagement drafts: `nudge_inactive` and `congratulations`.

Approving one queues the email through `send_nudge`, keyed by the nudge, so a second
draft for the same nudge, a double approval or a retried task still sends it once.
"""

from django.utils.translation import gettext_lazy as _

from courseops.reviews.registry import ApplyError, EmailReviewKind, register_kind
from courseops.reviews.sanitize import clean_email_html, email_text


class NudgeKind(EmailReviewKind):
    def __init__(self, *, name, label):
        super().__init__(name=name, label=label, category="engagement")

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


def register():
    register_kind(NudgeKind(name="nudge_inactive", label=_("Aviso a estudiante inactivo")))
    register_kind(NudgeKind(name="congratulations", label=_("Felicitación por progreso")))
