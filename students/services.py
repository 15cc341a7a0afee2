"""Operations on a student that staff run from the admin or a command."""

from django.db import transaction
from django.utils import timezone

from courseops.audit.services import log_action
from students.models import Student


def deactivate_student(*, student, user=None):
    """Take the student's access away (portal sign-in stops at once); True if it changed."""
    with transaction.atomic():
        changed = (
            Student.objects.filter(pk=student.pk)
            .exclude(status=Student.Status.INACTIVE)
            .update(status=Student.Status.INACTIVE, updated_at=timezone.now())
        )
        if changed:
            log_action(
                student,
                "students.student.deactivated",
                user=user,
                data={"from": student.status},
            )
    student.refresh_from_db()
    return bool(changed)


def request_welcome_resend(*, student, user=None):
    """Queue a fresh welcome draft (AI call in a task, after this commits)."""
    from students.tasks import resend_welcome

    log_action(student, "students.welcome.resend_requested", user=user)
    transaction.on_commit(lambda: resend_welcome.delay(student.pk))


def request_step_retry(*, step, user=None):
    """Retry one pipeline step (and what follows it) in a task, after this commits."""
    from students.tasks import retry_onboarding_step

    user_id = user.pk if user is not None else None
    transaction.on_commit(lambda: retry_onboarding_step.delay(step.pk, user_id))
