"""A job that fails or is killed mid-way resumes from its last finished step, never
paying for a finished step again nor announcing anything twice."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from content.models import JobStep
from content.reviews import lesson_drafts
from content.services import pipeline, publishing
from content.signals import lesson_published
from courseops.ai.models import AIUsage
from courseops.messaging.models import OutboundMessage
from courseops.reviews.services import approve_draft
from tests.ai.conftest import api_error
from tests.content.conftest import make_vtt

Step = JobStep


def _approve_all(lesson, user, capture):
    with capture(execute=True):
        for draft in lesson_drafts(lesson).filter(status="pending"):
            approve_draft(draft=draft, user=user)


@pytest.fixture
def announced(db):
    received = []

    def receiver(sender, lesson, **kwargs):
        received.append(lesson.pk)

    lesson_published.connect(receiver)
    yield received
    lesson_published.disconnect(receiver)


def test_a_transient_ai_failure_resumes_from_the_failed_step_only(
    make_lesson, fake_openai, settings, django_capture_on_commit_callbacks
):
    settings.AI_MAX_ATTEMPTS = 1
    settings.AI_BREAKER_COOLDOWN_SECONDS = 600
    lesson = make_lesson(vtt=make_vtt())
    fake_openai.reply(api_error(503, code=None, message="overloaded"))
    with django_capture_on_commit_callbacks(execute=True):
        job = pipeline.start_job(lesson=lesson)
    notes = job.steps.get(name=Step.Name.NOTES)
    assert notes.status == Step.Status.FAILED
    assert "503" in notes.error
    assert job.steps.get(name=Step.Name.TRANSCRIBE).status == Step.Status.DONE
    transcribed = AIUsage.objects.filter(kind=AIUsage.Kind.TRANSCRIBE).count()

    # Too early: the step asked to wait for the provider's cooldown.
    assert pipeline.sweep_jobs(now=timezone.now() + timedelta(minutes=3)) == 0
    settings.AI_PROVIDER = "offline"  # the provider is back (offline drafts, same steps)
    later = timezone.now() + timedelta(minutes=12)
    with time_machine.travel(later), django_capture_on_commit_callbacks(execute=True):
        assert pipeline.sweep_jobs() == 1

    statuses = dict(job.steps.values_list("name", "status"))
    assert statuses["notes"] == statuses["summary"] == statuses["quiz"] == "done"
    assert statuses["review"] == "waiting"
    assert AIUsage.objects.filter(kind=AIUsage.Kind.TRANSCRIBE).count() == transcribed
    assert job.steps.get(name=Step.Name.NOTES).attempts == 2
    assert job.steps.get(name=Step.Name.TRANSCRIBE).attempts == 1
    # A job waiting for staff is not picked up by the sweeper.
    with time_machine.travel(later + timedelta(minutes=10)):
        assert pipeline.sweep_jobs() == 0


def test_a_worker_killed_while_publishing_resumes_without_sending_twice(
    make_lesson, students, staff_user, django_capture_on_commit_callbacks, announced
):
    lesson = make_lesson(vtt=make_vtt())
    with django_capture_on_commit_callbacks(execute=True):
        job = pipeline.start_job(lesson=lesson)
    _approve_all(lesson, staff_user, django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        publishing.announce_due()
    usage = AIUsage.objects.count()
    assert announced == [lesson.pk]

    # The worker died after publishing, before recording it: its row stays "running".
    job.steps.filter(name=Step.Name.PUBLISH).update(
        status=Step.Status.RUNNING, started_at=timezone.now() - timedelta(hours=2)
    )
    job.steps.filter(name=Step.Name.NOTIFY).update(status=Step.Status.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        assert pipeline.sweep_jobs(now=timezone.now() + timedelta(minutes=5)) == 1
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        publishing.announce_due()

    assert set(job.steps.values_list("status", flat=True)) <= {"done", "skipped"}
    assert job.steps.get(name=Step.Name.PUBLISH).attempts == 2
    assert job.steps.get(name=Step.Name.QUIZ).attempts == 1
    assert AIUsage.objects.count() == usage
    assert announced == [lesson.pk]
    assert OutboundMessage.objects.filter(object_id=str(lesson.course_id)).count() == 2


def test_rerunning_the_quiz_asks_for_a_new_review_and_keeps_the_lesson_published_once(
    make_lesson, students, staff_user, django_capture_on_commit_callbacks, announced
):
    lesson = make_lesson(vtt=make_vtt())
    with django_capture_on_commit_callbacks(execute=True):
        job = pipeline.start_job(lesson=lesson)
    _approve_all(lesson, staff_user, django_capture_on_commit_callbacks)
    first_pdf = job.steps.get(name=Step.Name.PDF).finished_at

    with django_capture_on_commit_callbacks(execute=True):
        pipeline.rerun_step(step=job.steps.get(name=Step.Name.QUIZ), user=staff_user)
    assert job.steps.get(name=Step.Name.QUIZ).attempts == 2
    assert job.steps.get(name=Step.Name.REVIEW).status == Step.Status.WAITING
    assert job.steps.get(name=Step.Name.SUMMARY).attempts == 1
    assert lesson_drafts(lesson).filter(kind="lesson_quiz").count() == 2
    assert lesson_drafts(lesson).filter(kind="lesson_summary").count() == 1

    _approve_all(lesson, staff_user, django_capture_on_commit_callbacks)
    assert set(job.steps.values_list("status", flat=True)) <= {"done", "skipped"}
    assert job.steps.get(name=Step.Name.PDF).finished_at > first_pdf
    assert announced == [lesson.pk]
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        assert publishing.announce_due() == 2
        assert publishing.announce_due() == 0


def _sweep_queries(count):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        queued = pipeline.sweep_jobs(now=timezone.now() + timedelta(hours=3))
    return queued, len(queries)


def test_the_sweeper_runs_the_same_number_of_queries_for_3_and_12_stuck_jobs(make_lesson):
    def stuck(first, last):
        for order in range(first, last):
            job = pipeline.start_job(lesson=make_lesson(order=order, title=f"L{order}"))
            job.steps.filter(name=Step.Name.SOURCE).update(
                status=Step.Status.RUNNING, started_at=timezone.now() - timedelta(hours=2)
            )

    stuck(0, 3)
    few = _sweep_queries(3)
    JobStep.objects.filter(name=Step.Name.SOURCE).update(
        status=Step.Status.RUNNING, started_at=timezone.now() - timedelta(hours=2)
    )
    stuck(3, 12)
    many = _sweep_queries(12)
    assert few[0] == 3
    assert many[0] == 12
    assert few[1] == many[1]


def test_a_lost_resume_after_approval_is_picked_up_by_the_sweeper(
    make_lesson, students, staff_user, django_capture_on_commit_callbacks
):
    from courseops.reviews.services import apply_draft

    lesson = make_lesson(vtt=make_vtt())
    with django_capture_on_commit_callbacks(execute=True):
        job = pipeline.start_job(lesson=lesson)
    # Approved and applied, but the task that would resume the job never runs.
    for draft in lesson_drafts(lesson):
        approve_draft(draft=draft, user=staff_user)
        apply_draft(draft_id=draft.pk)
    assert job.steps.get(name=Step.Name.REVIEW).status == Step.Status.WAITING

    assert pipeline.sweep_jobs(now=timezone.now() + timedelta(minutes=10)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert pipeline.sweep_jobs(now=timezone.now() + timedelta(minutes=31)) == 1
    lesson.refresh_from_db()
    assert lesson.published_at is not None


def test_resuming_a_job_whose_step_holder_died_runs_that_step_at_once_with_the_reason(
    make_lesson, students, staff_user, client, django_capture_on_commit_callbacks, announced
):
    from django.urls import reverse

    from tests.core.test_liveness import dead_holder

    lesson = make_lesson(vtt=make_vtt())
    with django_capture_on_commit_callbacks(execute=True):
        job = pipeline.start_job(lesson=lesson)
    _approve_all(lesson, staff_user, django_capture_on_commit_callbacks)
    # The worker running the publish step was killed a few seconds in: long before any
    # lease would run out, but its process is gone.
    job.steps.filter(name=Step.Name.PUBLISH).update(
        status=Step.Status.RUNNING, started_at=timezone.now(), held_by=dead_holder()
    )
    job.steps.filter(name=Step.Name.NOTIFY).update(status=Step.Status.PENDING)

    client.force_login(staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:content_contentjob_changelist"),
            {"action": "resume_selected", "_selected_action": [job.pk]},
        )

    publish = job.steps.get(name=Step.Name.PUBLISH)
    assert publish.status == Step.Status.DONE
    assert "El worker que ejecutaba este paso se detuvo" in publish.log
    assert job.steps.get(name=Step.Name.NOTIFY).status in {"done", "skipped"}


def test_a_step_whose_holder_is_alive_is_not_run_a_second_time(make_lesson):
    from courseops.core import liveness

    job = pipeline.start_job(lesson=make_lesson(vtt=make_vtt()))
    job.steps.filter(name=Step.Name.SOURCE).update(
        status=Step.Status.RUNNING, started_at=timezone.now(), held_by=liveness.me()
    )

    assert pipeline.run_job(job_id=job.pk) is None
    assert job.steps.get(name=Step.Name.SOURCE).status == Step.Status.RUNNING


def test_a_summary_drafted_in_shadow_is_asked_for_again_once_the_shadow_period_ends(
    make_lesson, students, staff_user, django_capture_on_commit_callbacks
):
    from content.reviews import SUMMARY_KIND
    from courseops.reviews.models import DraftStatus
    from courseops.reviews.rollout import set_kind_policy

    now = timezone.now()
    set_kind_policy(
        kind=SUMMARY_KIND,
        user=staff_user,
        mode="review",
        shadow_from=now - timedelta(minutes=1),
        shadow_until=now + timedelta(hours=1),
    )
    lesson = make_lesson(vtt=make_vtt())
    with django_capture_on_commit_callbacks(execute=True):
        job = pipeline.start_job(lesson=lesson)
    shadowed = lesson_drafts(lesson).get(kind=SUMMARY_KIND)
    assert shadowed.status == DraftStatus.SHADOW
    _approve_all(lesson, staff_user, django_capture_on_commit_callbacks)  # the quiz
    review = job.steps.get(name=Step.Name.REVIEW)
    assert review.status == Step.Status.WAITING

    # While the period lasts the same shadow draft is waited for: no new one per look.
    later = timezone.now() + timedelta(minutes=31)
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.sweep_jobs(now=later)
    assert lesson_drafts(lesson).filter(kind=SUMMARY_KIND).count() == 1

    # The period over, the next look asks for the summary again, for review this time.
    with (
        time_machine.travel(now + timedelta(hours=2), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert pipeline.sweep_jobs() == 1
    fresh = lesson_drafts(lesson).filter(kind=SUMMARY_KIND).exclude(pk=shadowed.pk).get()
    assert fresh.status == DraftStatus.PENDING
    _approve_all(lesson, staff_user, django_capture_on_commit_callbacks)
    lesson.refresh_from_db()
    assert lesson.published_at is not None
