"""Where a student's onboarding stands, in one word for integrations and in words for
people: what the status API and the registration's answer say."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from courseops.reviews.models import DraftStatus
from students.models import OnboardingStep, Student

PENDING = "pendiente"
RUNNING = "en_curso"
AWAITING_REVIEW = "esperando_revision"
DONE = "completado"
FAILED = "error"
PENDING_PAYMENT = "pendiente_de_pago"
TEXTS = {
    PENDING: _("Pendiente: el alta aún no ha empezado"),
    RUNNING: _("En curso"),
    AWAITING_REVIEW: _("Esperando revisión del email de bienvenida"),
    DONE: _("Completado"),
    FAILED: _("Error: un paso del alta falló"),
    PENDING_PAYMENT: _("Pendiente de pago: el alta empieza cuando se pague el plan"),
}
CODES = tuple(TEXTS)


@dataclass(frozen=True)
class OnboardingStatus:
    code: str

    @property
    def text(self) -> str:
        return str(TEXTS[self.code])


def welcome_awaits_review(student) -> bool:
    """The student's latest welcome draft waits in the review queue (not sent yet)."""
    from students.onboarding.welcome import welcome_drafts

    latest = welcome_drafts(student).order_by("-created_at", "-pk").values("status").first()
    return bool(latest) and latest["status"] == DraftStatus.PENDING


def onboarding_status(student, steps=None) -> OnboardingStatus:
    """`steps`: the student's onboarding steps when the caller has them already."""
    steps = list(student.onboarding_steps.all()) if steps is None else steps
    statuses = {step.status for step in steps}
    if student.status == Student.Status.PENDING_PAYMENT:
        # A paid plan waiting for its payment: no onboarding yet.
        return OnboardingStatus(PENDING_PAYMENT)
    if student.status == Student.Status.ONBOARDING:
        if OnboardingStep.Status.FAILED in statuses:
            return OnboardingStatus(FAILED)
        if statuses <= {OnboardingStep.Status.PENDING}:
            return OnboardingStatus(PENDING)
        return OnboardingStatus(RUNNING)
    if welcome_awaits_review(student):
        return OnboardingStatus(AWAITING_REVIEW)
    return OnboardingStatus(DONE)
