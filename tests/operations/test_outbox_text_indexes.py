"""The erasure still finds every message, in flight or at rest, though the outbox's
full-text indexes hold only the messages at rest
(tests/operations/test_text_indexes_at_rest.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courseops.messaging.models import Channel, OutboundMessage, Status
from courseops.operations.privacy.core_parts import MessagingPart
from courseops.operations.privacy.registry import Person

pytestmark = pytest.mark.django_db

PERSON = Person(email="ana.ruiz@example.com", names={"Ana Ruiz Pérez"}, phones={"+34600111222"})


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
