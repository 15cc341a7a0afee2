"""Data migrations of the outbox, run with Django's migration executor: back to the
migration before, rows as they were then, and forward again."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from courseops.messaging.models import Channel, OutboundMessage, Status

BEFORE = ("messaging", "0013_provider_call")
AFTER = ("messaging", "0014_push_expiry_from_headers")
QUEUED_AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target])


def push(key, headers, status=Status.QUEUED, send_at=None):
    return OutboundMessage.objects.create(
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
    migrate(BEFORE)
    with time_machine.travel(QUEUED_AT, tick=False):
        ttl = push("ttl", {"ttl": 7200})
        deferred = push("ttl-deferred", {"ttl": 600}, send_at=QUEUED_AT + timedelta(hours=8))
        moment = push("moment", {"expires_at": "2026-12-01T11:00:00+00:00"})
        sent = push("sent", {"ttl": 7200}, status=Status.SENT)
        plain = push("plain", {})

    migrate(AFTER)

    expiry = dict(OutboundMessage.objects.values_list("idempotency_key", "expires_at"))
    assert expiry[ttl.idempotency_key] == QUEUED_AT + timedelta(hours=2)
    assert expiry[deferred.idempotency_key] == QUEUED_AT + timedelta(hours=8, minutes=10)
    assert expiry[moment.idempotency_key] == datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    assert expiry[sent.idempotency_key] is None  # gone already: nothing to send
    assert expiry[plain.idempotency_key] is None  # no window was asked for
