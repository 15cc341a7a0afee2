"""The outbox's full-text indexes hold only messages at rest (issue #23): a message's
INSERT and its claim no longer compute nine tsvectors over its bodies, only the record of
its outcome does. Built concurrently before the full ones are dropped, so an erasure's
search always has an index; backwards, the full ones come back first."""

from django.db import migrations
from django.db.models import Q

from courseops.operations.search_indexes import dropped, text_search_indexes

COLUMNS = (
    "recipient",
    "subject",
    "text_body",
    "html_body",
    "person_key",
    "idempotency_key",
    "context",
    "headers",
    "attachments",
)
# `messaging.models.AT_REST` when this migration was written, frozen here: a later change
# there needs a migration of its own (tests/operations/test_text_indexes_at_rest.py compares
# the database's predicate with it).
AT_REST = (
    "interrupted",
    "sent",
    "delivered",
    "bounced",
    "complained",
    "failed",
    "suppressed",
    "dropped",
    "shadowed",
    "held",
    "canceled",
)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("operations", "0009_incident_notify_due"),
        ("messaging", "0016_outbound_provider_check"),
    ]

    operations = [
        text_search_indexes(
            "messaging",
            "OutboundMessage",
            *COLUMNS,
            condition=Q(status__in=AT_REST),
            kind="rest",
        ),
        dropped(text_search_indexes("messaging", "OutboundMessage", *COLUMNS)),
    ]
