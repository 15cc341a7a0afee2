from celery import shared_task
from django.contrib.auth import get_user_model

from courseops.core import pending
from students import services
from students.models import OnboardingStep, Student
from students.onboarding import pipeline


@shared_task(name="students.run_onboarding", ignore_result=True)
def run_onboarding(student_id):
    pipeline.run_onboarding(student_id=student_id)


@shared_task(name="students.sweep_onboarding", ignore_result=True)
def sweep_onboarding():
    pipeline.sweep_onboarding()


@shared_task(name="students.sync_due_lms_access", ignore_result=True)
def sync_due_lms_access():
    from students.services import sync_due_lms_access as sweep

    sweep()


@shared_task(name="students.grant_due_plans", ignore_result=True)
def grant_due_plans():
    from students.services import grant_due_plans as sweep

    sweep()


@shared_task(name="students.retry_onboarding_step", ignore_result=True)
def retry_onboarding_step(step_id, user_id=None):
    step = OnboardingStep.objects.select_related("student").filter(pk=step_id).first()
    if step is not None:
        user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
        services.retry_onboarding_step(step=step, user=user)


# The AI may be down or over budget: try again later, a bounded number of times.
@shared_task(
    name="students.resend_welcome",
    ignore_result=True,
    bind=True,
    max_retries=5,
    default_retry_delay=300,
)
def resend_welcome(self, student_id):
    from courseops.ai import AIError

    student = Student.objects.select_related("plan").filter(pk=student_id).first()
    if student is None:
        return
    try:
        services.resend_welcome(student=student)
    except AIError as exc:
        if exc.permanent or self.request.retries >= self.max_retries:
            # Given up: the sweeper is for lost messages, not for asking the AI forever.
            pending.done(student, "welcome_resend_due_since", student.welcome_resend_due_since)
            raise
        raise self.retry(exc=exc, countdown=min(exc.retry_after or 300, 3600)) from exc


# The LMS may be down: try again later, a bounded number of times (each part is idempotent).
@shared_task(
    name="students.grant_plan",
    ignore_result=True,
    bind=True,
    max_retries=5,
    default_retry_delay=300,
)
def grant_plan(self, student_id):
    from students.onboarding.lms import LMSError
    from students.services import grant_plan_access

    student = Student.objects.select_related("plan").filter(pk=student_id).first()
    if student is None:
        return
    try:
        grant_plan_access(student=student)
    except LMSError as exc:
        if exc.permanent:
            raise
        raise self.retry(exc=exc) from exc


# After a change of access (a cancelled or renewed subscription); the LMS may be down.
@shared_task(
    name="students.sync_lms_access",
    ignore_result=True,
    bind=True,
    max_retries=5,
    default_retry_delay=300,
)
def sync_lms_access(self, student_id):
    from students.onboarding.lms import LMSError
    from students.services import sync_lms_access as sync

    student = Student.objects.select_related("plan").filter(pk=student_id).first()
    if student is None:
        return
    try:
        sync(student=student)
    except LMSError as exc:
        if exc.permanent:
            raise
        raise self.retry(exc=exc) from exc


@shared_task(name="students.enqueue_due_requests", ignore_result=True)
def enqueue_due_requests():
    services.enqueue_due_requests()
