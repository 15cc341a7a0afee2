"""Running the onboarding steps in order, each once, resumable after any failure.

Each step is a function `step(student) -> dict` (details kept on the row) in
`students.onboarding.steps`; it must be idempotent because a step whose worker died is
run again. It raises `StepSkipped` when there is nothing to do and `StepFailed(permanent=)`
for errors staff must see. A failed step stops the pipeline there without undoing the
steps before it; retrying it resumes from that step.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _lazy

from courseops.audit.services import log_action
from courseops.core import liveness
from courseops.core.logging import get_logger
from students import webhook_events
from students.models import OnboardingStep, Student

logger = get_logger(__name__)
Step = OnboardingStep

STEP_FUNCTIONS = {
    Step.Name.VALIDATE: "students.onboarding.steps.validate",
    Step.Name.ACCOUNT: "students.onboarding.steps.create_account",
    Step.Name.MATERIALS: "students.onboarding.steps.grant_materials",
    Step.Name.WEBINARS: "students.onboarding.steps.register_webinars",
    Step.Name.WELCOME_EMAIL: "students.onboarding.steps.draft_welcome_email",
    Step.Name.FOLLOW_UP: "students.onboarding.steps.open_follow_up",
}
# A step left `running` by a worker that is gone is taken over at once (liveness); one of
# no known holder is run again by the sweeper after this lease.
RUNNING_LEASE = timedelta(minutes=20)
TAKEN_OVER = _lazy("El worker que ejecutaba este paso se detuvo; se retoma desde aquí.")
# A new pipeline's own task gets this long before the sweeper enqueues another.
START_GRACE = timedelta(minutes=2)
MAX_AUTOMATIC_ATTEMPTS = 5
MAX_ERROR_LENGTH = 2000


class StepSkipped(Exception):
    """Nothing to do for this student (e.g. no webinars app installed)."""


class StepFailed(Exception):
    """`retry_after` (seconds) holds the sweeper back, e.g. until the AI budget resets."""

    def __init__(self, message, *, permanent=False, retry_after=None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


def start_onboarding(*, student):
    """Create the pipeline rows (once) and run it after the caller's transaction commits."""
    OnboardingStep.objects.bulk_create(
        [OnboardingStep(student=student, name=name) for name in Step.ORDER],
        ignore_conflicts=True,
    )
    _enqueue_on_commit(student.pk)


def _enqueue_on_commit(student_id):
    from students.tasks import run_onboarding

    transaction.on_commit(lambda: run_onboarding.delay(student_id), robust=True)


def _claim(step_id, now):
    return OnboardingStep.objects.filter(
        pk=step_id, status__in=[Step.Status.PENDING, Step.Status.FAILED]
    ).update(status=Step.Status.RUNNING, started_at=now, finished_at=None, held_by=liveness.me())


def release_abandoned_steps(steps, *, now=None):
    """Running steps among `steps` whose worker is gone go back to pending at once, with
    the reason for staff; returns how many (one query for the holders, one UPDATE)."""
    running = steps.filter(status=Step.Status.RUNNING)
    return liveness.held_by_gone(running, now=now).update(
        status=Step.Status.PENDING, held_by="", error=gettext(TAKEN_OVER)
    )


def run_step(*, step):
    """Run one step if it can be claimed; returns its new status (or None if not claimed)."""
    if not _claim(step.pk, timezone.now()):
        return None
    step.refresh_from_db()
    function = import_string(STEP_FUNCTIONS[step.name])
    log = logger.bind(student_id=step.student_id, step=step.name)
    fields = {"attempts": step.attempts + 1, "finished_at": timezone.now()}
    try:
        detail = function(step.student) or {}
    except StepSkipped as exc:
        fields.update(status=Step.Status.SKIPPED, error="", detail={"skipped": str(exc)})
    except Exception as exc:  # a step's error is recorded on its row for staff, whatever it is
        permanent = getattr(exc, "permanent", False)
        log.warning("onboarding.step_failed", error=str(exc), permanent=permanent, exc_info=True)
        detail = {"permanent": permanent}
        if getattr(exc, "retry_after", None):
            retry_at = timezone.now() + timedelta(seconds=exc.retry_after)
            detail["retry_at"] = retry_at.isoformat()
        fields.update(
            status=Step.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH],
            detail=detail,
        )
    else:
        fields.update(status=Step.Status.DONE, error="", detail=detail)
    OnboardingStep.objects.filter(pk=step.pk, status=Step.Status.RUNNING).update(**fields)
    return fields["status"]


def run_onboarding(*, student_id):
    """Run the pending steps in order; stop at the first failure. Returns the failed step
    (None when the pipeline finished or another process is running a step). A step left
    running by a worker that is gone is taken over first."""
    release_abandoned_steps(OnboardingStep.objects.filter(student_id=student_id))
    steps = sorted(
        OnboardingStep.objects.filter(student_id=student_id).select_related("student"),
        key=lambda s: Step.ORDER.index(s.name),
    )
    for step in steps:
        if step.status in (Step.Status.DONE, Step.Status.SKIPPED):
            continue
        if step.status == Step.Status.RUNNING:
            return None
        status = run_step(step=step)
        if status == Step.Status.FAILED:
            step.refresh_from_db()
            return step
        if status is None:
            return None
    _activate(student_id)
    return None


def _activate(student_id):
    now = timezone.now()
    activated = Student.objects.filter(pk=student_id, status=Student.Status.ONBOARDING).update(
        status=Student.Status.ACTIVE, activated_at=now, updated_at=now
    )
    if activated:
        student = Student.objects.get(pk=student_id)
        log_action(student, "students.onboarding.completed")
        webhook_events.student_onboarded(student)


def retry_step(*, step, user=None, resume=True):
    """Staff's "retry": run this step again (even a done one, e.g. resend the welcome),
    then, by default, carry on with the steps after it."""
    release_abandoned_steps(OnboardingStep.objects.filter(pk=step.pk))
    OnboardingStep.objects.filter(pk=step.pk).exclude(status=Step.Status.RUNNING).update(
        status=Step.Status.PENDING, error=""
    )
    log_action(
        step.student, "students.onboarding.step_retried", user=user, data={"step": step.name}
    )
    status = run_step(step=step)
    if resume and status in (Step.Status.DONE, Step.Status.SKIPPED):
        run_onboarding(student_id=step.student_id)
    return status


def sweep_onboarding(*, now=None):
    """Rescue pipelines a lost task left behind; safe to run twice. Returns students queued."""
    now = now or timezone.now()
    release_abandoned_steps(OnboardingStep.objects.all(), now=now)
    OnboardingStep.objects.filter(
        status=Step.Status.RUNNING, started_at__lt=now - RUNNING_LEASE
    ).update(status=Step.Status.PENDING)
    # A step that failed for good, or too often, waits for staff: its student's later
    # (pending) steps must not bring the pipeline back either.
    blocked = OnboardingStep.objects.filter(status=Step.Status.FAILED).filter(
        Q(detail__permanent=True) | Q(attempts__gte=MAX_AUTOMATIC_ATTEMPTS)
    )
    candidates = (
        OnboardingStep.objects.filter(
            student__status=Student.Status.ONBOARDING,
            student__created_at__lt=now - START_GRACE,
            status__in=[Step.Status.PENDING, Step.Status.FAILED],
        )
        .exclude(student_id__in=blocked.values("student_id"))
        .values_list("student_id", "status", "detail")[:1000]
    )
    held = {
        student_id
        for student_id, status, detail in candidates
        if status == Step.Status.FAILED and _held_back(detail, now)
    }
    student_ids = {student_id for student_id, _status, _detail in candidates} - held
    for student_id in student_ids:
        _enqueue_on_commit(student_id)
    return len(student_ids)


def _held_back(detail, now):
    """A transient failure that asked to wait (AI budget spent until midnight) waits."""
    retry_at = parse_datetime((detail or {}).get("retry_at") or "")
    return retry_at is not None and retry_at > now
