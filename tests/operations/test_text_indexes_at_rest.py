"""The full-text indexes of the outbox and of webhook events (an erasure's search) hold
only rows at rest, so a row's INSERT and claim compute no tsvector: every status is placed
on one side, the database's predicate is that side, and each migration swaps the full
indexes for partial ones and back."""

from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Q

from courseops.messaging import models as messaging
from courseops.operations.search_indexes import text_search_indexes
from courseops.webhooks import models as webhooks

pytestmark = pytest.mark.django_db

TABLES = {
    "outbox": SimpleNamespace(
        table="messaging_outboundmessage",
        at_rest=messaging.AT_REST,
        in_flight=messaging.IN_FLIGHT,
        statuses=messaging.Status,
        columns=9,
        before=("operations", "0009_incident_notify_due"),
        after=("operations", "0010_outbox_text_indexes_at_rest"),
    ),
    "webhook events": SimpleNamespace(
        table="webhooks_webhookevent",
        at_rest=webhooks.AT_REST,
        in_flight=webhooks.IN_FLIGHT,
        statuses=webhooks.WebhookEvent.Status,
        columns=4,
        before=("operations", "0010_outbox_text_indexes_at_rest"),
        after=("operations", "0011_webhook_text_indexes_at_rest"),
    ),
}
needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's indexes"
)


@pytest.mark.parametrize("name", TABLES)
def test_every_status_is_either_in_flight_or_at_rest(name):
    """A new status is placed on purpose: moving one changes the indexes' predicate,
    which needs a migration (the next test reads the predicate from PostgreSQL)."""
    case = TABLES[name]

    assert not set(case.at_rest) & set(case.in_flight)
    assert set(case.at_rest) | set(case.in_flight) == set(case.statuses)


def _text_indexes(table):
    """{index name: definition} of the table's GIN indexes."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE tablename = %s AND indexdef LIKE '%%USING gin%%'",
            [table],
        )
        return dict(cursor.fetchall())


def _statuses(definition):
    return set(definition.split(" WHERE ")[1].split("ARRAY[")[1].split("]")[0].split(", "))


@needs_postgresql
@pytest.mark.parametrize("name", TABLES)
def test_the_text_indexes_hold_exactly_the_statuses_at_rest(name):
    case = TABLES[name]
    indexes = _text_indexes(case.table)

    assert len(indexes) == case.columns
    expected = {f"'{status}'::character varying" for status in case.at_rest}
    for index, definition in indexes.items():
        assert "_rest_" in index
        assert _statuses(definition) == expected, definition


@needs_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", TABLES)
def test_the_migration_swaps_the_full_indexes_for_partial_ones_and_back(name):
    case = TABLES[name]
    try:
        MigrationExecutor(connection).migrate([case.before])
        before = _text_indexes(case.table)
        MigrationExecutor(connection).migrate([case.after])
        after = _text_indexes(case.table)
    finally:  # a transactional test keeps its schema: the next tests need the current one
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    assert len(before) == case.columns
    assert all("_fts_" in index and " WHERE " not in d for index, d in before.items())
    assert len(after) == case.columns
    assert all("_rest_" in index and " WHERE " in d for index, d in after.items())


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_running_the_migration_again_rebuilds_an_index_a_failed_build_left_invalid():
    """`CREATE INDEX CONCURRENTLY` cut short leaves an invalid index behind; `IF NOT EXISTS`
    alone would keep it, and the erasure's search would read the whole outbox."""
    build = text_search_indexes(
        "messaging",
        "OutboundMessage",
        "text_body",
        condition=Q(status__in=messaging.AT_REST),
        kind="rest",
    )
    (index,) = [name for name in _text_indexes(TABLES["outbox"].table) if "_text_body_" in name]
    valid = "SELECT indisvalid FROM pg_index WHERE indexrelid = %s::regclass"
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE pg_index SET indisvalid = false WHERE indexrelid = %s::regclass", [index]
        )
        cursor.execute(valid, [index])
        assert cursor.fetchone() == (False,)

    with connection.schema_editor(atomic=False) as schema_editor:
        build.code(apps, schema_editor)

    with connection.cursor() as cursor:
        cursor.execute(valid, [index])
        assert cursor.fetchone() == (True,)
