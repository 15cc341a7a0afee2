"""Group commit of acks: the request threads of one process share one INSERT and commit.

The first thread starts alone and leads; its batch is held until the others have queued,
so the next batch holds them all: the grouping is forced, not left to timing.
"""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from courseops.webhooks import services
from courseops.webhooks.group_commit import BatchFailed, GroupCommit
from courseops.webhooks.models import WebhookEvent
from courseops.webhooks.providers.base import InboundEvent

THREADS = 6


def held_first_batch(write, waiting):
    """`write`, whose first call waits until `waiting` more rows are queued behind it."""
    state = {"first": True, "leading": threading.Event()}

    def write_batch(rows):
        if state.pop("first", False):
            state["leading"].set()
            deadline = time.monotonic() + 10
            while len(acks._pending) < waiting and time.monotonic() < deadline:
                time.sleep(0.005)
        state.setdefault("batches", []).append(len(rows))
        return write(rows)

    acks = GroupCommit(write_batch)
    return acks, state


def in_threads(function, arguments, leading=None):
    """Run function(argument) in one thread each; returns results or raised exceptions.

    With `leading` (an Event), the others start once the first thread has set it."""
    results = [None] * len(arguments)

    def run(index):
        try:
            results[index] = function(arguments[index])
        except Exception as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(arguments))]
    threads[0].start()
    if leading is not None:
        assert leading.wait(timeout=10)
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def inbound(event_id, event_type="invoice.paid"):
    return InboundEvent(
        event_id=event_id, event_type=event_type, payload={"id": event_id}, body="{}"
    )


def receive(item):
    event, created = services.event_receive(provider="stripe", inbound=item, headers={})
    return event.pk, created


@pytest.fixture
def dispatches(monkeypatch):
    asked = []
    monkeypatch.setattr(services, "_request_dispatch", lambda: asked.append(1))
    return asked


@pytest.fixture
def held(monkeypatch):
    """The inbox's group commit, its first batch held until the other threads queue."""
    acks, state = held_first_batch(services._insert_rows, THREADS - 1)
    monkeypatch.setattr(services, "_acks", acks)
    return state


def test_a_lone_thread_leads_a_batch_of_one():
    acks = GroupCommit(lambda rows: {key: f"stored {key}" for (key,) in rows})

    assert [acks.submit(key, (key,)) for key in "ab"] == ["stored a", "stored b"]


def test_threads_waiting_together_share_one_write_and_each_gets_its_own_outcome():
    acks, state = held_first_batch(lambda rows: {key: key * 2 for (key,) in rows}, THREADS - 1)

    results = in_threads(lambda n: acks.submit(n, (n,)), list(range(THREADS)), state["leading"])

    assert results == [n * 2 for n in range(THREADS)]
    assert state["batches"] == [1, THREADS - 1]


def test_a_key_repeated_in_one_batch_is_written_once_the_copy_in_a_later_batch():
    written = []

    def write(rows):
        written.append([key for (key,) in rows])
        return {key: "new" for (key,) in rows if key not in sum(written[:-1], [])}

    acks, state = held_first_batch(write, 3)

    results = in_threads(
        lambda key: acks.submit(key, (key,)), ["first", "x", "x", "y"], state["leading"]
    )

    assert sorted(results, key=str) == [None, "new", "new", "new"]
    assert written[0] == ["first"]
    assert sorted(written[1]) == ["x", "y"]
    assert written[2:] == [["x"]]


def test_a_failing_write_answers_every_waiter_of_its_batch_with_the_error():
    def write(rows):
        if len(rows) > 1:
            raise RuntimeError("disk full")
        return {key: "new" for (key,) in rows}

    acks, state = held_first_batch(write, THREADS - 1)

    results = in_threads(lambda n: acks.submit(n, (n,)), list(range(THREADS)), state["leading"])

    assert results[0] == "new"
    assert all(isinstance(result, BatchFailed) for result in results[1:])
    assert all(str(result.__cause__) == "disk full" for result in results[1:])
    # The next submission leads a batch of its own: nothing was left holding the lead.
    assert acks.submit("later", ("later",)) == "new"


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_are_each_stored_once_in_one_commit(held, dispatches):
    results = in_threads(receive, [inbound(f"evt_{n}") for n in range(THREADS)], held["leading"])

    assert all(created for _, created in results)
    stored = dict(WebhookEvent.objects.values_list("event_id", "pk"))
    assert sorted(stored) == sorted(f"evt_{n}" for n in range(THREADS))
    assert sorted(pk for pk, _ in results) == sorted(stored.values())
    assert held["batches"] == [1, THREADS - 1]
    assert len(dispatches) == THREADS


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_in_a_batch_is_answered_as_duplicate_with_the_stored_row(held, dispatches):
    receive(inbound("evt_old"))
    held["first"] = True
    held["leading"].clear()
    items = [inbound("evt_first"), inbound("evt_old"), inbound("evt_new")]
    items += [inbound(f"evt_more_{n}") for n in range(THREADS - 3)]

    results = in_threads(receive, items, held["leading"])

    old = WebhookEvent.objects.get(event_id="evt_old")
    assert results[1] == (old.pk, False)
    assert all(created for _, created in results[:1] + results[2:])
    assert WebhookEvent.objects.count() == THREADS
    assert len(dispatches) == THREADS


@pytest.mark.django_db(transaction=True)
def test_a_failing_commit_stores_nothing_of_its_batch_and_every_waiter_gets_an_error(
    held, dispatches
):
    # One event the database refuses (a NULL in a NOT NULL column) fails the statement.
    items = [inbound("evt_first")] + [inbound(f"evt_{n}") for n in range(THREADS - 2)]
    items.append(inbound("evt_bad", event_type=None))

    results = in_threads(receive, items, held["leading"])

    assert results[0][1] is True
    assert all(isinstance(result, BatchFailed) for result in results[1:])
    assert list(WebhookEvent.objects.values_list("event_id", flat=True)) == ["evt_first"]
    assert len(dispatches) == 1
    # The retried deliveries are stored: the failure held nothing back.
    results = in_threads(receive, items[1:-1])
    assert all(created for _, created in results)


@pytest.mark.django_db(transaction=True)
def test_each_thread_keeps_using_its_own_connection_after_a_shared_commit(held, dispatches):
    def receive_then_use_the_connection(item):
        receive(item)
        state = (connection.get_autocommit(), connection.in_atomic_block)
        with transaction.atomic():
            WebhookEvent.objects.filter(event_id=item.event_id).update(event_type="changed")
            rolled_back = WebhookEvent.objects.filter(event_id=item.event_id)
            transaction.set_rollback(True)
        return state, rolled_back.get().event_type

    results = in_threads(
        receive_then_use_the_connection,
        [inbound(f"evt_{n}") for n in range(THREADS)],
        held["leading"],
    )

    assert results == [((True, False), "invoice.paid")] * THREADS
    assert held["batches"] == [1, THREADS - 1]


@pytest.mark.django_db
def test_inside_a_callers_transaction_the_row_is_written_there_and_rolls_back_with_it(
    monkeypatch, dispatches
):
    monkeypatch.setattr(services, "_acks", None)  # not used inside a transaction

    with transaction.atomic():
        receive(inbound("evt_inside"))
        assert WebhookEvent.objects.filter(event_id="evt_inside").exists()
        transaction.set_rollback(True)

    assert not WebhookEvent.objects.exists()
