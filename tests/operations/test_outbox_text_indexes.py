"""The outbox's full-text indexes (an erasure's search) hold only messages at rest, so a
message's INSERT and claim compute no tsvector; the erasure still finds every message,
in flight or at rest."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from courseops.messaging.models import AT_REST, IN_FLIGHT, Channel, OutboundMessage, Status
from courseops.operations.privacy.core_parts import MessagingPart
from courseops.operations.privacy.registry import Person

pytestmark = pytest.mark.django_db

PERSON = Person(email="ana.ruiz@example.com", names={"Ana Ruiz Pérez"}, phones={"+34600111222"})
BEFORE = ("operations", "0009_incident_notify_due")
AFTER = ("operations", "0010_outbox_text_indexes_at_rest")


def test_every_status_is_either_in_flight_or_at_rest():
    """A new status is placed on purpose: moving one changes the indexes' predicate,
    which needs a migration (the next test reads the predicate from PostgreSQL)."""
    assert not set(AT_REST) & set(IN_FLIGHT)
    assert set(AT_REST) | set(IN_FLIGHT) == set(Status)


def _text_indexes():
    """{index name: definition} of the outbox's GIN indexes."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE tablename = 'messaging_outboundmessage' AND indexdef LIKE '%USING gin%'"
        )
        return dict(cursor.fetchall())


def _statuses(definition):
    return set(definition.split(" WHERE ")[1].split("ARRAY[")[1].split("]")[0].split(", "))


needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's indexes"
)


@needs_postgresql
def test_the_text_indexes_hold_exactly_the_statuses_at_rest():
    indexes = _text_indexes()

    assert len(indexes) == 9
    expected = {f"'{status}'::character varying" for status in AT_REST}
    for name, definition in indexes.items():
        assert "_rest_" in name
        assert _statuses(definition) == expected, definition


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_migration_swaps_the_full_indexes_for_partial_ones_and_back():
    try:
        MigrationExecutor(connection).migrate([BEFORE])
        before = _text_indexes()
        MigrationExecutor(connection).migrate([AFTER])
        after = _text_indexes()
    finally:  # a transactional test keeps its schema: the next tests need the current one
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    assert len(before) == 9
    assert all("_fts_" in name and " WHERE " not in d for name, d in before.items())
    assert len(after) == 9
    assert all("_rest_" in name and " WHERE " in d for name, d in after.items())


def _staff_note(status, number):
    """A message to staff naming the person, as a new-registration notice does."""
    return OutboundMessage.objects.create(
        channel=Channel.EMAIL,
        recipient="equipo@example.com",
        subject=f"Nueva inscripción {number}",
        text_body="Se inscribió Ana Ruiz Pérez (ana.ruiz@example.com, +34600111222).",
        html_body="<p>Se inscribió <b>Ana Ruiz Pérez</b></p>",
        context={"email": "ANA.RUIZ@example.com"},
        idempotency_key=f"note-{number}",
        status=status,
    )


@pytest.mark.parametrize("status", Status)
def test_an_erasure_redacts_a_message_naming_the_person_whatever_its_status(status):
    message = _staff_note(status, 1)
    other = _staff_note(status, 2)
    OutboundMessage.objects.filter(pk=other.pk).update(
        text_body="Se inscribió Eva (eva@example.com).", html_body="", context={}
    )

    touched = MessagingPart().erase(PERSON)

    assert touched["messages"] == 1
    message.refresh_from_db()
    assert message.status == status  # not theirs: only the mention goes
    assert message.text_body == "Se inscribió [borrado] ([borrado], [borrado])."
    assert message.html_body == "<p>Se inscribió <b>[borrado]</b></p>"
    assert message.context == {"email": "[borrado]"}
    other.refresh_from_db()
    assert other.text_body == "Se inscribió Eva (eva@example.com)."


def test_an_erasure_searches_the_outbox_at_rest_and_in_flight_in_a_query_each():
    """One query ORing both would read every row at rest on PostgreSQL (redact.scrub)."""
    with CaptureQueriesContext(connection) as queries:
        MessagingPart().erase(PERSON)

    searches = [
        query["sql"]
        for query in queries
        if query["sql"].startswith("SELECT")
        and 'FROM "messaging_outboundmessage"' in query["sql"]
        and "ana.ruiz@example.com" in query["sql"].lower()
    ]
    assert len(searches) == len(MessagingPart.WITHIN) == 2
    at_rest, in_flight = searches
    assert "'sent'" in at_rest
    assert "'queued'" not in at_rest
    assert "'queued'" in in_flight
    assert "'sending'" in in_flight
    assert "'sent'" not in in_flight
