"""The database incarnation a claim was made in (PostgreSQL): a nullable column on the
outbox, and the one-row UNLOGGED table that defines the incarnation. PostgreSQL empties
an unlogged table in every crash recovery (a restart after a crash, a backend's crash that
reinitialises the server) and a promoted standby has it empty, while a clean restart
keeps it: its row's creation time changes exactly when asynchronous commits may have been
lost (services.sending). SQLite has neither the table nor asynchronous stamps."""

from django.db import migrations, models

MARKER_TABLE = "messaging_server_incarnation"  # services.sending.INCARNATION_TABLE


def create_marker(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE UNLOGGED TABLE IF NOT EXISTS {MARKER_TABLE} ("
        "id smallint PRIMARY KEY CHECK (id = 1), started_at timestamptz NOT NULL)"
    )


def drop_marker(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TABLE IF EXISTS {MARKER_TABLE}")


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0014_push_expiry_from_headers"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboundmessage",
            name="claimed_incarnation",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="arranque de la base de datos al reclamarlo"
            ),
        ),
        migrations.RunPython(create_marker, drop_marker),
    ]
