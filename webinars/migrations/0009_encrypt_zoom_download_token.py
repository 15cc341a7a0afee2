"""Zoom's recording download token encrypted at rest; existing tokens are encrypted here."""

from django.db import migrations

import courseops.operations.fields
from courseops.operations.encrypting_migration import encrypt_existing


class Migration(migrations.Migration):
    dependencies = [
        ("webinars", "0008_encrypt_registration_phone"),
    ]

    operations = [
        migrations.AlterField(
            model_name="recording",
            name="zoom_download_token",
            field=courseops.operations.fields.EncryptedCharField(blank=True),
        ),
        encrypt_existing("webinars", "recording", "zoom_download_token"),
    ]
