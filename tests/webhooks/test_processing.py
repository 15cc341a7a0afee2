import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from courseops.audit.models import AuditEntry
from courseops.celery import app as celery_app
from courseops.webhooks import services
from courseops.webhooks.errors import PermanentWebhookError
from courseops.webhooks.models import WebhookEvent
from courseops.webhooks.providers.base import InboundEvent

pytestmark = pytest.mark.django_db
Status = WebhookEvent.Status
START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def receive(event_id="evt-1", event_type="lead.created", provider="generic"):
    event, created = services.event_receive(
        provider=provider,
        inbound=InboundEvent(
            event_id=event_id, event_type=event_type, payload={"type": event_type}, body="{}"
        ),
        headers={},
    )
    return event


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_an_event_with_no_handler_is_stored_and_marked_ignored(
    handlers, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        event = receive(event_type="nobody.cares")

    event.refresh_from_db()
    assert event.status == Status.IGNORED
    assert event.processed_at is not None
    assert event.next_attempt_at is None


def test_a_failing_handler_is_retried_with_exponential_backoff_then_failed(
    calls, clock, django_capture_on_commit_callbacks
):
    calls.register("generic", "lead.created", errors=[RuntimeError("CRM caído")] * 6)
    with django_capture_on_commit_callbacks(execute=True):
        event = receive()

    delays, now = [], START
    for _ in range(5):
        event.refresh_from_db()
        assert event.status == Status.RETRYING
        assert event.last_error == "RuntimeError: CRM caído"
        delays.append(int((event.next_attempt_at - now).total_seconds()))
        clock.move_to(event.next_attempt_at - timedelta(seconds=1))
        assert services.events_sweep() == 0  # not due yet
        now = event.next_attempt_at
        clock.move_to(now)
        assert services.events_sweep() == 1

    event.refresh_from_db()
    assert delays == [30, 120, 480, 1920, 3600]
    assert [attempt for _, _, attempt in calls] == [1, 2, 3, 4, 5, 6]
    assert event.status == Status.FAILED
    assert event.attempts == 6
    assert event.last_error == "Falló tras 6 intentos. RuntimeError: CRM caído"
    assert event.next_attempt_at is None
    clock.shift(timedelta(days=1))
    assert services.events_sweep() == 0


def test_a_handler_that_recovers_on_the_second_attempt_ends_processed(
    calls, clock, django_capture_on_commit_callbacks
):
    calls.register("generic", "lead.created", errors=[ConnectionError("timeout")])
    with django_capture_on_commit_callbacks(execute=True):
        event = receive()

    clock.shift(timedelta(seconds=30))
    services.events_sweep()

    event.refresh_from_db()
    assert event.status == Status.PROCESSED
    assert event.attempts == 2
    assert event.last_error == ""
    assert len(calls) == 2


def test_a_permanent_error_fails_at_once_and_is_never_retried(
    calls, clock, django_capture_on_commit_callbacks
):
    calls.register("generic", "lead.created", errors=[PermanentWebhookError("Curso inexistente")])
    with django_capture_on_commit_callbacks(execute=True):
        event = receive()

    clock.shift(timedelta(days=1))
    assert services.events_sweep() == 0
    event.refresh_from_db()
    assert (event.status, event.attempts) == (Status.FAILED, 1)
    assert event.last_error == "PermanentWebhookError: Curso inexistente"
    assert len(calls) == 1


def test_a_received_event_whose_task_was_lost_is_processed_by_the_sweeper(
    calls, clock, django_capture_on_commit_callbacks
):
    calls.register("generic", "lead.created")
    with django_capture_on_commit_callbacks(execute=False):
        event = receive()  # the task never reaches a worker

    assert services.events_sweep() == 0  # its own task may still be on its way
    clock.shift(services.RECEIVED_GRACE)
    assert services.events_sweep() == 1

    event.refresh_from_db()
    assert event.status == Status.PROCESSED
    assert calls == [("generic", "evt-1", 1)]
    assert services.events_sweep() == 0


def test_an_event_left_processing_by_a_dead_worker_is_taken_back_after_its_lease(calls, clock):
    calls.register("generic", "lead.created")
    event = receive()
    WebhookEvent.objects.filter(pk=event.pk).update(
        status=Status.PROCESSING,
        attempts=1,
        claimed_at=START,
        next_attempt_at=START + services.PROCESSING_LEASE,
    )

    clock.shift(services.PROCESSING_LEASE - timedelta(seconds=1))
    assert services.events_sweep() == 0  # a slow handler may still be running
    clock.shift(timedelta(seconds=1))
    assert services.events_sweep() == 1

    event.refresh_from_db()
    assert (event.status, event.attempts) == (Status.PROCESSED, 2)


def test_an_event_whose_worker_died_is_taken_back_at_once_not_after_the_lease(calls, clock):
    from tests.core.test_liveness import dead_holder

    calls.register("generic", "lead.created")
    event = receive()
    WebhookEvent.objects.filter(pk=event.pk).update(
        status=Status.PROCESSING,
        attempts=1,
        claimed_at=START,
        held_by=dead_holder(),
        next_attempt_at=START + services.PROCESSING_LEASE,
    )

    clock.shift(timedelta(seconds=30))
    assert services.events_sweep() == 1

    event.refresh_from_db()
    assert (event.status, event.attempts) == (Status.PROCESSED, 2)


def test_an_event_that_kills_its_worker_on_every_attempt_ends_failed(calls, clock):
    calls.register("generic", "lead.created")
    event = receive()
    WebhookEvent.objects.filter(pk=event.pk).update(
        status=Status.PROCESSING, attempts=services.MAX_ATTEMPTS, next_attempt_at=START
    )

    assert services.events_sweep() == 0

    event.refresh_from_db()
    assert event.status == Status.FAILED
    assert "worker" in event.last_error
    assert calls == []


def test_a_redelivered_task_while_the_handler_runs_does_not_run_it_twice(handlers):
    runs, inner_results = [], []
    event = receive()

    @handlers.webhook_handler("generic", "lead.created")
    def handler(event):
        runs.append(event.pk)
        # The broker re-delivers the task (or the sweeper fires) mid-run.
        inner_results.append(services.event_process(event_pk=event.pk))

    assert services.event_process(event_pk=event.pk) == Status.PROCESSED
    assert runs == [event.pk]
    assert inner_results == [None]


def test_processing_a_finished_event_again_does_nothing(calls):
    calls.register("generic", "lead.created")
    event = receive()
    services.event_process(event_pk=event.pk)

    assert services.event_process(event_pk=event.pk) is None
    assert len(calls) == 1


def test_staff_rerun_queues_a_failed_event_again_and_leaves_an_audit_entry(
    calls, staff_user, django_capture_on_commit_callbacks
):
    calls.register("generic", "lead.created", errors=[PermanentWebhookError("sin curso")])
    with django_capture_on_commit_callbacks(execute=True):
        event = receive()

    with django_capture_on_commit_callbacks(execute=True):
        queued, skipped = services.events_rerun(event_pks=[event.pk], user=staff_user)

    event.refresh_from_db()
    assert (queued, skipped) == (1, 0)
    assert (event.status, event.attempts) == (Status.PROCESSED, 1)
    entry = AuditEntry.objects.get(action="webhooks.event.rerun")
    assert entry.actor == staff_user
    assert entry.data == {
        "previous_status": "failed",
        "previous_error": "PermanentWebhookError: sin curso",
    }


def test_staff_rerun_skips_an_event_being_processed(handlers, staff_user):
    event = receive()
    WebhookEvent.objects.filter(pk=event.pk).update(status=Status.PROCESSING)

    assert services.events_rerun(event_pks=[event.pk], user=staff_user) == (0, 1)
    assert not AuditEntry.objects.exists()


def test_a_webhook_is_acknowledged_and_kept_when_the_broker_is_down(
    client, calls, broker_down, django_capture_on_commit_callbacks
):
    from tests.webhooks.conftest import generic_post

    calls.register("generic", "lead.created")
    with django_capture_on_commit_callbacks(execute=True):
        response = generic_post(client, {"type": "lead.created"})

    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.status == Status.RECEIVED  # left for the sweeper
    assert calls == []


def test_the_sweeper_is_declared_as_a_periodic_task_and_registered_with_celery():
    call_command("install_periodic_tasks")

    task = PeriodicTask.objects.get(name="webhooks.sweep")
    assert task.task == "webhooks.sweep"
    assert task.interval.every == 60
    assert "webhooks.sweep" in celery_app.tasks
    assert "webhooks.process_event" in celery_app.tasks


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_one_event_run_its_handler_once(handlers):
    """A redelivered task and the sweeper's copy start together in two threads."""
    import threading

    from django.db import connection

    event = WebhookEvent.objects.create(
        provider="generic", event_id="race", event_type="lead.created", body="{}"
    )
    runs = []
    barrier = threading.Barrier(2)

    @handlers.webhook_handler("generic", "lead.created")
    def slow_handler(event):
        runs.append(threading.get_ident())
        time.sleep(0.2)

    def worker(results):
        barrier.wait()
        try:
            results.append(services.event_process(event_pk=event.pk))
        finally:
            connection.close()

    results = []
    threads = [threading.Thread(target=worker, args=(results,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(runs) == 1
    assert sorted(results, key=str) == [None, Status.PROCESSED]


def test_deliveries_arriving_while_a_dispatch_is_pending_ride_on_it(
    calls, django_capture_on_commit_callbacks
):
    calls.register("generic", "lead.created")
    # A dispatch task is already on its way (published by an earlier delivery).
    from django.core.cache import cache

    cache.add(services.DISPATCH_PENDING, 1)
    with django_capture_on_commit_callbacks(execute=True):
        receive("evt-a")
        receive("evt-b")

    assert calls == []
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {Status.RECEIVED}

    assert services.events_dispatch() == 2
    assert sorted(event_id for _, event_id, _ in calls) == ["evt-a", "evt-b"]


def test_a_delivery_after_the_dispatcher_cleared_its_flag_asks_for_another_dispatch(
    calls, django_capture_on_commit_callbacks
):
    calls.register("generic", "lead.created")
    assert services.events_dispatch() == 0

    with django_capture_on_commit_callbacks(execute=True):
        event = receive("evt-late")

    event.refresh_from_db()
    assert event.status == Status.PROCESSED
    assert calls == [("generic", "evt-late", 1)]


def test_a_dispatcher_that_fills_its_batch_asks_for_another_run(
    calls, django_capture_on_commit_callbacks
):
    calls.register("generic", "lead.created")
    from django.core.cache import cache

    cache.add(services.DISPATCH_PENDING, 1)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            receive(f"evt-{n}")

    # Batch of 2: the first run handles two and publishes a second dispatch (eager here).
    services.events_dispatch(batch=2)

    assert sorted(event_id for _, event_id, _ in calls) == ["evt-0", "evt-1", "evt-2"]
