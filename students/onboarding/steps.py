"""The onboarding steps. Each takes the student, returns details for its row, and is
idempotent: it may run again after a crash or when staff retry it."""

from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext as _

from courseops.ai import AIError
from courseops.support.services import open_ticket
from students.models import StudentMaterial
from students.onboarding import lms, welcome
from students.onboarding.pipeline import StepFailed, StepSkipped
from students.signals import student_onboarded

FOLLOW_UP_AFTER = timedelta(days=2)


def validate(student):
    """Intake validated the registration before the student existed; record what it used."""
    return {"email": student.email, "plan": student.plan.slug, "source": student.source}


def create_account(student):
    """Create (or find) the student's account in the configured LMS."""
    try:
        return lms.create_account(student)
    except lms.LMSError as exc:
        raise StepFailed(str(exc), permanent=exc.permanent) from exc
    except ImproperlyConfigured as exc:  # settings must change before a retry can help
        raise StepFailed(str(exc), permanent=True) from exc


def grant_materials(student):
    """Give the student every active material of their plan, each once."""
    materials = list(student.plan.materials.filter(active=True).values_list("pk", flat=True))
    now = timezone.now()
    StudentMaterial.objects.bulk_create(
        [StudentMaterial(student=student, material_id=pk, granted_at=now) for pk in materials],
        ignore_conflicts=True,
    )
    return {"materials": len(materials)}


def register_webinars(student):
    """The webinars app (a floor above) registers the student when it listens."""
    responses = student_onboarded.send(sender=student.__class__, student=student)
    if not responses:
        raise StepSkipped("webinars app not listening")
    return {receiver.__module__: result for receiver, result in responses}


def draft_welcome_email(student):
    """One AI welcome draft per student; an AI outage fails the step for the sweeper to retry."""
    try:
        draft, created = welcome.draft_welcome_email(student=student)
    except AIError as exc:
        raise StepFailed(str(exc), permanent=exc.permanent, retry_after=exc.retry_after) from exc
    return {"draft": draft.pk, "created": created, "status": draft.status}


def open_follow_up(student):
    """A welcome call for staff, due in two days, opened once per student."""
    ticket = open_ticket(
        subject=_("Llamada de bienvenida: %(name)s") % {"name": student.full_name},
        description=_(
            "Nuevo alumno del plan %(plan)s (%(email)s, %(phone)s). Llámale para darle la "
            "bienvenida y resolver dudas."
        )
        % {"plan": student.plan.name, "email": student.email, "phone": student.phone or "-"},
        kind="welcome_call",
        target=student,
        due_at=timezone.now() + FOLLOW_UP_AFTER,
        key=f"students.welcome_call.{student.pk}",
    )
    return {"ticket": ticket.pk}
