"""The "provider called" stamp's commit, and what the sweeper trusts of it.

On PostgreSQL the stamp is committed asynchronously (its statement turns off
`synchronous_commit` for its own transaction); a crash of PostgreSQL may lose it, so a dead
worker's unstamped row is resent only if it was claimed in the database's current
incarnation (the UNLOGGED marker a crash recovery empties). SQLite stamps synchronously.
"""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courseops.messaging import services, tasks
from courseops.messaging.models import OutboundMessage, ProviderCall, Status
from courseops.messaging.services.sending import (
    CURRENT_INCARNATION,
    _stamp_provider_call,
    _stamp_sql,
    claim_messages,
)

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="asynchronous commits are PostgreSQL's"
)
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's path")


def _claimed(key="k"):
    # Its send task is left out (a transactional test would run it at once on commit).
    message = OutboundMessage.objects.create(
        channel="email",
        recipient=f"{key}@example.com",
        subject="H",
        text_body="H",
        idempotency_key=key,
        next_attempt_at=timezone.now(),
    )
    (claimed,) = claim_messages(message_ids=[message.pk])
    return claimed


def _synchronous_commit():
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


def _stamp_statements(queries):
    return [q["sql"] for q in queries.captured_queries if "messaging_providercall" in q["sql"]]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_worker_stamp_on_postgresql_commits_asynchronously_in_its_own_transaction_only():
    message = _claimed()
    assert connection.get_autocommit()  # as in a worker: the statement is its transaction

    with CaptureQueriesContext(connection) as queries:
        _stamp_provider_call(message)

    (statement,) = _stamp_statements(queries)
    assert "set_config('synchronous_commit', 'off', true)" in statement
    assert ProviderCall.objects.get(message_id=message.pk).called_at == message.provider_called_at
    # The setting ended with the stamp's transaction: nothing after it commits lazily.
    assert _synchronous_commit() == "on"


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_asynchronous_stamp_statement_leaves_synchronous_commit_off_until_its_commit():
    # PostgreSQL decides a transaction's durability from the setting in force when it
    # commits: the stamp's statement must leave it off to the end of its transaction.
    message = _claimed()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with transaction.atomic():
        assert _synchronous_commit() == "on"
        with connection.cursor() as cursor:
            cursor.execute(_stamp_sql(asynchronous=True), [message.pk, now])
        assert _synchronous_commit() == "off"  # in force at this transaction's commit
    assert _synchronous_commit() == "on"
    assert ProviderCall.objects.filter(message_id=message.pk).exists()


@postgresql_only
@pytest.mark.django_db
def test_a_stamp_inside_a_callers_transaction_does_not_make_that_transaction_asynchronous():
    message = _claimed()

    with CaptureQueriesContext(connection) as queries:
        _stamp_provider_call(message)

    (statement,) = _stamp_statements(queries)
    assert "set_config" not in statement
    assert _synchronous_commit() == "on"


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_a_stamp_on_sqlite_is_an_ordinary_synchronous_insert():
    message = _claimed()

    with CaptureQueriesContext(connection) as queries:
        _stamp_provider_call(message)

    (statement,) = _stamp_statements(queries)
    assert "set_config" not in statement
    assert statement.startswith('INSERT INTO "messaging_providercall"')
    assert ProviderCall.objects.filter(message_id=message.pk).exists()
    message.refresh_from_db()
    assert message.claimed_incarnation is None  # SQLite has no incarnations


def _current_incarnation():
    with connection.cursor() as cursor:
        cursor.execute(CURRENT_INCARNATION)
        row = cursor.fetchone()
    return row[0] if row else None


def _postgresql_crash_recovery():
    """What a crash recovery does to the UNLOGGED marker (PostgreSQL empties it)."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM messaging_server_incarnation")


def _its_worker_died(message):
    from tests.core.test_liveness import dead_holder

    OutboundMessage.objects.filter(pk=message.pk).update(held_by=dead_holder())


def _sweep(capture):
    with capture(execute=True):
        tasks.sweep_outbox.apply()


@postgresql_only
@pytest.mark.django_db
def test_a_claim_records_the_database_incarnation_and_keeps_it_until_a_crash_recovery():
    first = _claimed("first")
    first.refresh_from_db()
    assert first.claimed_incarnation is not None
    assert first.claimed_incarnation == _current_incarnation()
    assert _claimed("second").claimed_incarnation == first.claimed_incarnation

    _postgresql_crash_recovery()
    assert _current_incarnation() is None
    after = _claimed("after")  # the first claim after it names the new incarnation

    assert after.claimed_incarnation == _current_incarnation()
    assert after.claimed_incarnation > first.claimed_incarnation


@postgresql_only
@pytest.mark.django_db
def test_an_unstamped_row_claimed_before_a_postgresql_crash_waits_for_staff_not_resent(
    django_capture_on_commit_callbacks, postmark_accepts
):
    # Sent, then PostgreSQL crashed and lost the asynchronous stamp, and the worker died.
    before = _claimed("before")
    _postgresql_crash_recovery()
    after = _claimed("after")  # claimed since: an unstamped row is surely unsent
    for message in (before, after):
        _its_worker_died(message)

    _sweep(django_capture_on_commit_callbacks)

    before.refresh_from_db()
    after.refresh_from_db()
    assert before.status == Status.INTERRUPTED
    assert before.last_error == (
        "PostgreSQL se reinició tras una caída (o cambió de servidor) durante el envío y el "
        "worker se detuvo: puede haberse enviado. Revise antes de reenviar."
    )
    assert after.status == Status.SENT
    assert after.attempts == 1
    assert [p["To"] for p in postmark_accepts] == ["after@example.com"]


@postgresql_only
@pytest.mark.django_db
def test_an_unstamped_row_claimed_in_the_current_incarnation_is_resent(
    django_capture_on_commit_callbacks, postmark_accepts
):
    message = _claimed()
    _its_worker_died(message)

    _sweep(django_capture_on_commit_callbacks)

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 1  # the lost claim was not an attempt
    assert len(postmark_accepts) == 1


@postgresql_only
@pytest.mark.django_db
def test_an_unstamped_row_of_unknown_incarnation_waits_for_staff(
    django_capture_on_commit_callbacks, postmark_accepts
):
    # Claimed by a worker of the version before the column (during a deploy), or by a
    # claim that raced the marker's creation just after a crash.
    message = _claimed()
    OutboundMessage.objects.filter(pk=message.pk).update(claimed_incarnation=None)
    _its_worker_died(message)

    _sweep(django_capture_on_commit_callbacks)

    message.refresh_from_db()
    assert message.status == Status.INTERRUPTED
    assert "no consta en qué arranque de PostgreSQL" in message.last_error
    assert postmark_accepts == []


@postgresql_only
@pytest.mark.django_db
def test_after_a_crash_with_no_claim_since_every_unstamped_row_of_a_dead_worker_waits(
    django_capture_on_commit_callbacks, postmark_accepts
):
    message = _claimed()
    _postgresql_crash_recovery()  # and no claim has made a new marker yet
    _its_worker_died(message)

    services.interrupt_stuck_messages()

    message.refresh_from_db()
    assert message.status == Status.INTERRUPTED
    assert message.last_error.startswith("PostgreSQL se reinició")
    assert postmark_accepts == []


@sqlite_only
@pytest.mark.django_db
def test_on_sqlite_an_unstamped_row_of_a_dead_worker_is_resent(
    django_capture_on_commit_callbacks, postmark_accepts
):
    message = _claimed()
    _its_worker_died(message)

    _sweep(django_capture_on_commit_callbacks)

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(postmark_accepts) == 1
