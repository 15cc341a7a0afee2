"""Operations on a student that staff run from the admin or a command."""

from django.db import transaction
from django.utils import timezone

from courseops.audit.services import log_action
from courseops.core import pending
from students import webhook_events
from students.models import OnboardingStep, Student


def deactivate_student(*, student, user=None):
    """Take the student's access away (portal sign-in stops at once, the LMS follows in a
    task); True if it changed."""
    from students.tasks import sync_lms_access as sync_task

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
            # The mark is the record (a sweeper finds it if the task is lost).
            pending.mark(Student.objects.filter(pk=student.pk), "lms_access_due_since")
            transaction.on_commit(lambda: sync_task.delay(student.pk))
    student.refresh_from_db()
    return bool(changed)


def request_welcome_resend(*, student, user=None):
    """Queue a fresh welcome draft (AI call in a task, after this commits)."""
    from students.tasks import resend_welcome

    log_action(student, "students.welcome.resend_requested", user=user)
    # The mark is the record (a sweeper finds it if the task is lost).
    pending.mark(Student.objects.filter(pk=student.pk), "welcome_resend_due_since")
    transaction.on_commit(lambda: resend_welcome.delay(student.pk))


def resend_welcome(*, student):
    """A fresh welcome draft, as staff asked; the student's mark goes unless staff asked
    again meanwhile. Raises the AI gateway's errors (the task retries the transient ones)."""
    from students.onboarding import welcome

    seen = student.welcome_resend_due_since
    result = welcome.draft_welcome_email(student=student, resend=True)
    pending.done(student, "welcome_resend_due_since", seen)
    return result


def request_step_retry(*, step, user=None):
    """Retry one pipeline step (and what follows it) in a task, after this commits."""
    from students.tasks import retry_onboarding_step

    user_id = user.pk if user is not None else None
    # The mark is the record (a sweeper finds it if the task is lost).
    pending.mark(OnboardingStep.objects.filter(pk=step.pk), "retry_due_since")
    transaction.on_commit(lambda: retry_onboarding_step.delay(step.pk, user_id))


def retry_onboarding_step(*, step, user=None):
    """Staff's retry of a step (and what follows it); whatever the step did this time
    (done, failed again: shown to staff), the request is met and the mark goes."""
    from students.onboarding import pipeline

    seen = step.retry_due_since
    status = pipeline.retry_step(step=step, user=user)
    pending.done(step, "retry_due_since", seen)
    return status


def enqueue_due_requests():
    """The sweeper for staff's requests (resend the welcome, retry a step) whose task was
    lost; a retry enqueued here is audited without the staff member. Returns how many."""
    from students.tasks import resend_welcome, retry_onboarding_step

    students = pending.take_due(Student.objects.all(), "welcome_resend_due_since")
    for pk in students:
        resend_welcome.delay(pk)
    steps = pending.take_due(OnboardingStep.objects.all(), "retry_due_since")
    for pk in steps:
        retry_onboarding_step.delay(pk)
    return len(students) + len(steps)


def plan_changed(*, student, old_plan_id, source, user=None):
    """The student's plan changed (inside the caller's transaction): audited, and once it
    commits a task gives the new plan's materials, webinars and LMS courses."""
    from students.tasks import grant_plan

    log_action(
        student,
        "students.student.plan_changed",
        user=user,
        data={"from": old_plan_id, "to": student.plan_id, "source": source},
    )
    webhook_events.student_plan_changed(student, old_plan_id=old_plan_id, source=source)
    # The mark is the record (a sweeper finds it if the task is lost).
    pending.mark(Student.objects.filter(pk=student.pk), "plan_grant_due_since")
    transaction.on_commit(lambda: grant_plan.delay(student.pk))


def grant_plan_access(*, student):
    """Everything the student's plan includes, each once (safe to run again): its active
    materials, the upcoming webinars of the plan (the webinars app listens), and the LMS
    enrolments of its courses. Until onboarding made the account, the pipeline does that."""
    from students.onboarding import lms
    from students.onboarding.steps import grant_materials
    from students.signals import student_plan_changed

    due_since = student.plan_grant_due_since
    try:
        done = {"materials": grant_materials(student)["materials"]}
        for receiver, result in student_plan_changed.send(sender=Student, student=student):
            done[receiver.__module__] = result
        account_made = student.onboarding_steps.filter(
            name=OnboardingStep.Name.ACCOUNT, status=OnboardingStep.Status.DONE
        ).exists()
        if account_made:
            done["lms"] = lms.create_account(student)
    except Exception as exc:
        _pending_failed(student, "plan_grant_due_since", due_since, exc)
        raise
    pending.done(student, "plan_grant_due_since", due_since)
    return done


def _pending_failed(student, field, seen, exc):
    """Only the LMS's own word makes a failure permanent; anything else is tried again."""
    from students.onboarding.lms import LMSError

    permanent = isinstance(exc, LMSError) and exc.permanent
    pending.failed(student, field, seen, error=exc, permanent=permanent)


def grant_due_plans():
    """The sweeper: students whose new plan was not granted yet (a lost task, an LMS that
    kept failing) are enqueued again. Returns how many."""
    from students.tasks import grant_plan

    pks = pending.take_due(Student.objects.all(), "plan_grant_due_since")
    for pk in pks:
        grant_plan.delay(pk)
    return len(pks)


def sync_lms_access(*, student):
    """The LMS follows the student's access, read now rather than from the event that
    asked (a cancel and a renewal can arrive in either order): without access, the backend
    takes the plan's courses away (where it can: `revoke_access`); with access again, the
    account's enrolments are made again. Safe to run twice."""
    due_since = student.lms_access_due_since
    try:
        result = _sync_lms_access(student)
    except Exception as exc:
        _pending_failed(student, "lms_access_due_since", due_since, exc)
        raise
    pending.done(student, "lms_access_due_since", due_since)
    return result


def _sync_lms_access(student):
    from students.onboarding import lms

    backend = lms.get_backend()
    if student.status == Student.Status.INACTIVE:
        if not hasattr(backend, "revoke_access"):
            return None
        result = backend.revoke_access(student)
        if result.get("unenrolled"):
            log_action(student, "students.student.lms_access_revoked", data=result)
        return result
    account_made = student.onboarding_steps.filter(
        name=OnboardingStep.Name.ACCOUNT, status=OnboardingStep.Status.DONE
    ).exists()
    if student.status == Student.Status.ACTIVE and account_made:
        result = backend.create_account(student)
        if result.get("enrolled"):
            log_action(student, "students.student.lms_access_restored", data=result)
        return result
    return None


def sync_due_lms_access():
    """The sweeper: students whose access changed and whose LMS has not followed yet (a
    lost task, an LMS that kept failing) are enqueued again. Returns how many."""
    from students.tasks import sync_lms_access as task

    pks = pending.take_due(Student.objects.all(), "lms_access_due_since")
    for pk in pks:
        task.delay(pk)
    return len(pks)
