"""Running a lesson's content job: one persisted `JobStep` row per step, each run once,
resumable after any failure or a killed worker.

The same shape as the onboarding pipeline (`students.onboarding.pipeline`), whose
`StepFailed`/`StepSkipped` the steps raise: a step is claimed with a conditional UPDATE,
runs outside any transaction, and its outcome (status, output, error, timings, cost) is
written back only if it is still the one running. A failed step stops the job there
without undoing the steps before it; resuming starts from it. Steps may also raise
`StepWaiting` (the review step, until staff approve) which parks the job without failing.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _lazy

from content.models import ContentJob, JobStep
from courseops.audit.services import log_action
from courseops.core import liveness
from courseops.core.logging import get_logger
from students.onboarding.pipeline import StepFailed, StepSkipped

__all__ = ["StepFailed", "StepSkipped", "StepWaiting"]

logger = get_logger(__name__)
Step = JobStep

STEP_FUNCTIONS = {name: f"content.services.steps.{name}" for name in Step.ORDER}
# A running step whose worker is gone is taken over at once (courseops.core.liveness); a
# step of no known holder is re-run by the sweeper after this lease (transcribing a long
# lesson is the slowest step, so the lease is long).
RUNNING_LEASE = timedelta(minutes=60)
TAKEN_OVER = _lazy("El worker que ejecutaba este paso se detuvo; se retoma desde aquí.")
START_GRACE = timedelta(minutes=2)
WAITING_RECHECK = timedelta(minutes=30)
MAX_AUTOMATIC_ATTEMPTS = 5
MAX_ERROR_LENGTH = 2000
MAX_LOG_LENGTH = 20000


class StepWaiting(Exception):
    """The step cannot finish yet (staff have not approved the drafts); not an error."""


class StepRun:
    """What a running step reports as it goes: progress, log lines and AI costs."""

    def __init__(self, step):
        self.step = step
        self.cost = Decimal(0)
        self.lines = []
        # Work a step saved before failing or dying (e.g. parts already transcribed).
        self.checkpoint = dict((step.output or {}).get("checkpoint") or {})

    def save_checkpoint(self, key, value):
        """Keep a piece of finished work on the row now, so a failed or killed attempt
        does not pay for it again; the step's final output replaces it."""
        self.checkpoint[key] = value
        JobStep.objects.filter(pk=self.step.pk, status=Step.Status.RUNNING).update(
            output={"checkpoint": self.checkpoint}
        )

    def add_cost(self, ai_result):
        self.cost += Decimal(str(ai_result.usage.cost_usd or 0))

    def log(self, message):
        stamp = timezone.now().strftime("%H:%M:%S")
        self.lines.append(f"{stamp} {message}")

    def progress(self, percent):
        JobStep.objects.filter(pk=self.step.pk, status=Step.Status.RUNNING).update(
            progress=max(0, min(100, int(percent)))
        )


def start_job(*, lesson, user=None):
    """Create the lesson's job and its steps (once) and run it after the caller commits."""
    job, created = ContentJob.objects.get_or_create(lesson=lesson)
    JobStep.objects.bulk_create(
        [JobStep(job=job, name=name) for name in Step.ORDER], ignore_conflicts=True
    )
    if created:
        log_action(lesson, "content.job.started", user=user)
    enqueue_on_commit(job.pk)
    return job


def enqueue_on_commit(job_id):
    from content.tasks import run_content_job

    transaction.on_commit(lambda: run_content_job.delay(job_id), robust=True)


def _claim(step_id, now):
    return JobStep.objects.filter(
        pk=step_id, status__in=[Step.Status.PENDING, Step.Status.FAILED, Step.Status.WAITING]
    ).update(
        status=Step.Status.RUNNING,
        started_at=now,
        finished_at=None,
        progress=0,
        held_by=liveness.me(),
    )


def release_abandoned_steps(steps, *, now=None):
    """Running steps among `steps` whose worker is gone go back to pending at once, the
    reason in their error and log for staff; returns how many. Set-based: one query for
    the holders in flight, one UPDATE. Their checkpoint (work already paid for) is kept."""
    running = steps.filter(status=Step.Status.RUNNING)
    reason = gettext(TAKEN_OVER)
    return liveness.held_by_gone(running, now=now).update(
        status=Step.Status.PENDING,
        held_by="",
        error=reason,
        log=Concat(F("log"), Value(f"{reason}\n")),
    )


def run_step(*, step):
    """Run one step if it can be claimed; returns its new status (or None if not claimed)."""
    if not _claim(step.pk, timezone.now()):
        return None
    step.refresh_from_db()
    function = import_string(STEP_FUNCTIONS[step.name])
    run = StepRun(step)
    log = logger.bind(job_id=step.job_id, step=step.name)
    fields = {"attempts": step.attempts + 1}
    try:
        output = function(step.job, run) or {}
    except StepSkipped as exc:
        fields.update(status=Step.Status.SKIPPED, error="", output={"skipped": str(exc)})
    except StepWaiting as exc:
        fields.update(status=Step.Status.WAITING, error="", output={"waiting": str(exc)})
        fields["attempts"] = step.attempts  # waiting is not an attempt that failed
    except Exception as exc:  # a step's error is recorded on its row for staff, whatever it is
        permanent = getattr(exc, "permanent", False)
        log.warning("content.step_failed", error=str(exc), permanent=permanent, exc_info=True)
        output = {"permanent": permanent}
        if run.checkpoint:
            output["checkpoint"] = run.checkpoint
        if getattr(exc, "retry_after", None):
            output["retry_at"] = (timezone.now() + timedelta(seconds=exc.retry_after)).isoformat()
        run.log(f"ERROR {type(exc).__name__}: {exc}")
        fields.update(
            status=Step.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH],
            output=output,
        )
    else:
        fields.update(status=Step.Status.DONE, error="", output=output, progress=100)
    fields.update(
        finished_at=timezone.now(),
        cost_usd=step.cost_usd + run.cost,
        log=(step.log + "".join(f"{line}\n" for line in run.lines))[-MAX_LOG_LENGTH:],
    )
    JobStep.objects.filter(pk=step.pk, status=Step.Status.RUNNING).update(**fields)
    return fields["status"]


def run_job(*, job_id):
    """Run the unfinished steps in order; stop at the first that fails or waits.
    Returns the step that stopped the job (None when it finished or another runs it).
    A step left running by a worker that is gone is taken over first."""
    release_abandoned_steps(JobStep.objects.filter(job_id=job_id))
    steps = sorted(
        JobStep.objects.filter(job_id=job_id).select_related("job__lesson__course"),
        key=lambda s: Step.ORDER.index(s.name),
    )
    for step in steps:
        if step.status in Step.FINISHED:
            continue
        if step.status == Step.Status.RUNNING:
            return None
        status = run_step(step=step)
        if status in (Step.Status.FAILED, Step.Status.WAITING):
            step.refresh_from_db()
            return step
        if status is None:
            return None
    return None


def rerun_step(*, step, user=None):
    """Staff's "re-run": run this step again (e.g. regenerate the quiz) and the steps after
    it that depend on it, in a task; finished steps before it are kept. Their outputs are
    cleared (a checkpoint of the old audio parts must not stand in for the new ones).
    Later steps are idempotent, so publishing or notifying again never sends twice."""
    later = Step.ORDER[Step.ORDER.index(step.name) :]
    release_abandoned_steps(JobStep.objects.filter(job_id=step.job_id))
    JobStep.objects.filter(job_id=step.job_id, name__in=later).exclude(
        status=Step.Status.RUNNING
    ).update(status=Step.Status.PENDING, error="", progress=0, output={})
    log_action(step.job.lesson, "content.step.rerun", user=user, data={"step": step.name})
    enqueue_on_commit(step.job_id)


def resume_job(*, job, user=None):
    """Staff's "retry": carry on, in a task, from the step that failed or waits."""
    log_action(job.lesson, "content.job.resumed", user=user)
    enqueue_on_commit(job.pk)


def sweep_jobs(*, now=None):
    """Rescue jobs a lost task left behind; safe to run twice. Returns the jobs queued."""
    now = now or timezone.now()
    release_abandoned_steps(JobStep.objects.all(), now=now)
    JobStep.objects.filter(status=Step.Status.RUNNING, started_at__lt=now - RUNNING_LEASE).update(
        status=Step.Status.PENDING
    )
    # A step that failed for good or too often waits for staff. A step waiting for a review
    # is looked at again now and then: approving resumes the job at once, but that task
    # could be lost, and looking again costs no AI call (the drafts exist).
    blocked = JobStep.objects.filter(
        Q(status=Step.Status.WAITING, finished_at__gte=now - WAITING_RECHECK)
        | Q(status=Step.Status.FAILED)
        & (Q(output__permanent=True) | Q(attempts__gte=MAX_AUTOMATIC_ATTEMPTS))
    )
    candidates = (
        JobStep.objects.filter(
            job__created_at__lt=now - START_GRACE,
            status__in=[Step.Status.PENDING, Step.Status.FAILED, Step.Status.WAITING],
        )
        .exclude(job_id__in=blocked.values("job_id"))
        .exclude(job_id__in=JobStep.objects.filter(status=Step.Status.RUNNING).values("job_id"))
        .values_list("job_id", "status", "output")[: settings.CONTENT_SWEEP_BATCH]
    )
    held = {
        job_id
        for job_id, status, output in candidates
        if status == Step.Status.FAILED and _held_back(output, now)
    }
    job_ids = {job_id for job_id, _status, _output in candidates} - held
    for job_id in sorted(job_ids):
        enqueue_on_commit(job_id)
    return len(job_ids)


def _held_back(output, now):
    retry_at = parse_datetime((output or {}).get("retry_at") or "")
    return retry_at is not None and retry_at > now
