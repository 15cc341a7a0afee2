"""Full-text index on intake records' data, which an erasure searches for the person's
email, names and phones (PostgreSQL only, built concurrently)."""

from django.db import migrations

from courseops.operations.search_indexes import text_search_indexes


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("students", "0006_subscription_lifetime"),
    ]

    operations = [text_search_indexes("students", "IntakeRecord", "data")]
