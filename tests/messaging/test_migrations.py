"""Data migrations of the outbox, run with Django's migration executor: back to the
migration before, rows as they were then, and forward again."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from courseops.messaging.models import Channel, Status

BEFORE = ("messaging", "0013_provider_call")
AFTER = ("messaging", "0014_push_expiry_from_headers")
QUEUED_AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def migrate(target):
    """Migrate to `target`; its historical OutboundMessage (the current model has columns
    of later migrations)."""
    MigrationExecutor(connection).migrate([target])
    state = MigrationExecutor(connection).loader.project_state([target])
    return state.apps.get_model("messaging", "OutboundMessage")


@pytest.fixture(autouse=True)
def _latest_schema_afterwards():
    yield  # a transactional test keeps its schema: the next tests need the current one
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def push(model, key, headers, status=Status.QUEUED, send_at=None):
    return model.objects.create(
        channel=Channel.PUSH,
        recipient="ana@example.com",
        idempotency_key=key,
        status=status,
        headers={"url": "", "urgency": "normal", **headers},
        send_at=send_at,
        next_attempt_at=send_at or QUEUED_AT,
    )


@pytest.mark.django_db(transaction=True)
def test_push_rows_queued_with_their_window_in_headers_get_it_as_expires_at():
    before = migrate(BEFORE)
    with time_machine.travel(QUEUED_AT, tick=False):
        ttl = push(before, "ttl", {"ttl": 7200})
        deferred = push(
            before, "ttl-deferred", {"ttl": 600}, send_at=QUEUED_AT + timedelta(hours=8)
        )
        moment = push(before, "moment", {"expires_at": "2026-12-01T11:00:00+00:00"})
        sent = push(before, "sent", {"ttl": 7200}, status=Status.SENT)
        plain = push(before, "plain", {})

    after = migrate(AFTER)

    expiry = dict(after.objects.values_list("idempotency_key", "expires_at"))
    assert expiry[ttl.idempotency_key] == QUEUED_AT + timedelta(hours=2)
    assert expiry[deferred.idempotency_key] == QUEUED_AT + timedelta(hours=8, minutes=10)
    assert expiry[moment.idempotency_key] == datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    assert expiry[sent.idempotency_key] is None  # gone already: nothing to send
    assert expiry[plain.idempotency_key] is None  # no window was asked for


def _marker_exists():
    return "messaging_server_incarnation" in connection.introspection.table_names()


@pytest.mark.django_db(transaction=True)
def test_the_incarnation_marker_exists_on_postgresql_only_and_goes_with_its_migration():
    assert _marker_exists() is (connection.vendor == "postgresql")

    migrate(AFTER)  # 0014: before the claims recorded an incarnation
    assert not _marker_exists()

    migrate(("messaging", "0015_claimed_incarnation"))
    assert _marker_exists() is (connection.vendor == "postgresql")
