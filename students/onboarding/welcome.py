"""The welcome email: an AI draft reviewed by staff (kind `welcome_email`), sent inside
our own HTML template with the student's access link.

The link is made when the approved draft is queued, not when it is drafted, so a draft
that waits in the queue for days still carries a link that works.
"""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from courseops.ai import generate
from courseops.reviews.models import Draft
from courseops.reviews.registry import ApplyError, EmailReviewKind, get_kind
from courseops.reviews.sanitize import clean_email_html, email_text
from courseops.reviews.services import create_draft
from students.models import Student
from students.onboarding import lms
from students.signals import welcome_email_context

KIND = "welcome_email"
AUTOMATION = "onboarding"
TEMPLATE = "students/welcome"


class WelcomeEmailKind(EmailReviewKind):
    def apply(self, draft, user):
        from courseops.messaging.services import queue_email

        student = draft.target
        if not isinstance(student, Student):
            raise ApplyError(_("El alumno de este borrador ya no existe."), permanent=True)
        body = clean_email_html(draft.body)
        try:
            url = lms.access_url(student)
        except lms.LMSError as exc:
            raise ApplyError(str(exc), permanent=exc.permanent) from exc
        try:
            return queue_email(
                to=self.recipient_for(draft),
                idempotency_key=self.idempotency_key(draft),
                subject=draft.subject,
                template=TEMPLATE,
                context={
                    "subject": draft.subject,
                    "body_html": body,
                    "body_text": email_text(body),
                    "access_url": url,
                },
                language=student.language,
                category=self.category,
                related=draft,
                automation=AUTOMATION,
            )
        except ValidationError as exc:
            raise ApplyError(" ".join(exc.messages), permanent=True) from exc


def welcome_still_true(draft):
    """The welcome names the student's plan and opens their access: not once the access
    ended, nor for a plan they no longer have."""
    student = draft.target
    if not isinstance(student, Student):
        return ""
    if student.status == Student.Status.INACTIVE:
        return _("el alumno ya no tiene acceso.")
    drafted_plan = (draft.context or {}).get("plan")
    current_plan = student.plan.name if student.plan_id else ""
    if drafted_plan and drafted_plan != current_plan:
        return _("el plan del alumno cambió (ahora %(plan)s): pide un borrador nuevo.") % {
            "plan": current_plan or "—"
        }
    return ""


def register():
    """Called from `StudentsConfig.ready()`."""
    from courseops.reviews.automations import Automation, register_automation
    from courseops.reviews.registry import register_kind

    register_automation(
        Automation(name=AUTOMATION, label=_("Incorporación de alumnos"), kinds=[KIND])
    )
    return register_kind(
        WelcomeEmailKind(name=KIND, label=_("Correo de bienvenida"), still_true=welcome_still_true)
    )


def welcome_drafts(student):
    return Draft.objects.filter(
        kind=KIND,
        content_type=ContentType.objects.get_for_model(Student),
        object_id=str(student.pk),
    )


def welcome_context(student):
    context = {
        "name": student.first_name,
        "plan": student.plan.name,
        "interests": [str(i) for i in student.interests or []][:10],
        "materials": list(
            student.plan.materials.filter(active=True).values_list("title", flat=True)[:10]
        ),
        "platform": str(lms.get_backend().label),
    }
    for _receiver, extra in welcome_email_context.send(sender=Student, student=student):
        if isinstance(extra, dict):
            context.update(extra)
    return context


def draft_welcome_email(*, student, resend=False):
    """Draft the welcome (once per student unless `resend`); returns (draft, created).

    Raises the AI gateway's errors; `AIUnavailable`/`AIBudgetExceeded` are transient.
    """
    get_kind(KIND)
    if not resend:
        existing = welcome_drafts(student).order_by("-created_at").first()
        if existing is not None:
            return existing, False
    # Labels in the context (the platform's name) read in the student's language.
    with translation.override(student.language):
        context = welcome_context(student)
    result = generate(
        "welcome_email",
        context,
        language=student.language,
        requested_by="students.welcome",
        subject=student,
    )
    draft = create_draft(
        kind=KIND,
        target=student,
        subject=result.data["subject"],
        body=result.data["body_html"],
        context=context,
        ai_result=result,
        recipient=student.email,
    )
    return draft, True
