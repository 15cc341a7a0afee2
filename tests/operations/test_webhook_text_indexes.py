"""The erasure still finds every webhook event, in flight or at rest, though the full-text
indexes hold only the events at rest (tests/operations/test_text_indexes_at_rest.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courseops.operations.privacy.core_parts import WebhooksPart
from courseops.operations.privacy.registry import Person
from courseops.webhooks.models import AT_REST, IN_FLIGHT, WebhookEvent

pytestmark = pytest.mark.django_db

PERSON = Person(email="ana.ruiz@example.com", names={"Ana Ruiz Pérez"}, phones={"+34600111222"})
needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's indexes"
)


def test_the_sweepers_index_holds_exactly_the_events_in_flight():
    """The erasure reads the events in flight through it."""
    (index,) = [i for i in WebhookEvent._meta.indexes if i.name == "webhooks_event_pending"]

    assert index.condition.children == [("status__in", list(IN_FLIGHT))]


def _delivery(status, event_id, email="ana.ruiz@example.com"):
    return WebhookEvent.objects.create(
        provider="typeform",
        event_id=event_id,
        event_type="form_response",
        status=status,
        body=f'{{"answers": [{{"email": "{email}"}}]}}',
        payload={"answers": [{"email": email}]},
    )


@pytest.mark.parametrize("status", WebhookEvent.Status)
def test_an_erasure_blanks_a_delivery_naming_the_person_whatever_its_status(status):
    theirs = _delivery(status, "theirs")
    other = _delivery(status, "other", email="eva@example.com")

    touched = WebhooksPart().erase(PERSON)

    assert touched == {"webhook_events": 1}
    theirs.refresh_from_db()
    assert (theirs.body, theirs.payload) == ("", {"erased": True})
    other.refresh_from_db()
    assert other.payload == {"answers": [{"email": "eva@example.com"}]}


def test_an_erasure_searches_the_events_at_rest_and_in_flight_in_a_query_each():
    """One query ORing both would read every event at rest on PostgreSQL (redact.scrub)."""
    with CaptureQueriesContext(connection) as queries:
        WebhooksPart().erase(PERSON)

    searches = [
        query["sql"]
        for query in queries
        if query["sql"].startswith("SELECT") and "ana.ruiz@example.com" in query["sql"].lower()
    ]
    assert len(searches) == len(WebhooksPart.WITHIN) == 2
    at_rest, in_flight = searches
    assert "'processed'" in at_rest
    assert "'received'" not in at_rest
    assert "'received'" in in_flight
    assert "'processed'" not in in_flight


@needs_postgresql
def test_among_thousands_of_events_each_search_uses_its_index():
    WebhookEvent.objects.bulk_create(
        WebhookEvent(
            provider="typeform",
            event_id=f"e{number}",
            event_type="form_response",
            status=WebhookEvent.Status.RECEIVED if number % 100 == 0 else AT_REST[number % 3],
            body=f'{{"email": "student{number}@example.com"}}',
            payload={"email": f"student{number}@example.com"},
        )
        for number in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE webhooks_webhookevent")
    condition = WebhooksPart.search(PERSON)

    at_rest = WebhookEvent.objects.filter(WebhooksPart.WITHIN[0] & condition).explain()
    in_flight = WebhookEvent.objects.filter(WebhooksPart.WITHIN[1] & condition).explain()

    assert "Seq Scan" not in at_rest + in_flight, at_rest + in_flight
    for column in ("body", "last_error", "payload", "headers"):
        assert f"Bitmap Index Scan on webhooks_webhookevent_{column}_rest_" in at_rest, at_rest
    assert "webhooks_event_pending" in in_flight, in_flight
