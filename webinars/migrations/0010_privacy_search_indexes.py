"""Indexes for an erasure's case-insensitive match of registrants' and attendance
sessions' addresses (PostgreSQL only, built concurrently)."""

from django.db import migrations

from courseops.operations.search_indexes import iexact_indexes


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("webinars", "0009_encrypt_zoom_download_token"),
    ]

    operations = [
        iexact_indexes("webinars", "Registration", "email"),
        iexact_indexes("webinars", "AttendanceSession", "email", "participant_key"),
    ]
