"""Registrants' phone numbers encrypted at rest with a blind index; existing numbers are
encrypted here."""

from django.db import migrations

import courseops.operations.fields
from courseops.operations.encrypting_migration import encrypt_existing


class Migration(migrations.Migration):
    dependencies = [
        ("webinars", "0007_registration_source_portal"),
    ]

    operations = [
        migrations.AlterField(
            model_name="registration",
            name="phone",
            field=courseops.operations.fields.EncryptedCharField(
                blank=True,
                help_text="E.164",
                max_length=20,
                searchable=True,
                verbose_name="teléfono",
            ),
        ),
        encrypt_existing("webinars", "registration", "phone"),
    ]
