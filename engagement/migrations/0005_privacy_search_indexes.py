"""Index for an erasure's case-insensitive match of a question's email (PostgreSQL only,
built concurrently)."""

from django.db import migrations

from courseops.operations.search_indexes import iexact_indexes


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("engagement", "0004_nudge_rule_sms"),
    ]

    operations = [iexact_indexes("engagement", "Question", "email")]
