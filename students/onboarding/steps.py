"""The onboarding steps. Each takes the student, returns details for its row, and is
idempotent: it may run again after a crash or when staff retry it."""

from django.utils import timezone

from students.models import StudentMaterial
from students.onboarding.pipeline import StepSkipped
from students.signals import student_onboarded


def validate(student):
    """Intake validated the registration before the student existed; record what it used."""
    return {"email": student.email, "plan": student.plan.slug, "source": student.source}


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
