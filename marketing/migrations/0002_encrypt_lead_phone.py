"""Leads' phone numbers encrypted at rest with a blind index (exact lookups and the SMS
suppression join keep working); existing numbers are encrypted here."""

from django.db import migrations, models

import courseops.operations.fields
from courseops.operations.encrypting_migration import encrypt_existing


class Migration(migrations.Migration):
    dependencies = [
        ("marketing", "0001_initial"),
        ("messaging", "0004_suppression_address_index"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="lead", name="marketing_lead_phone"),
        migrations.AlterField(
            model_name="lead",
            name="phone",
            field=courseops.operations.fields.EncryptedCharField(
                blank=True,
                help_text="E.164",
                max_length=20,
                searchable=True,
                verbose_name="teléfono",
            ),
        ),
        encrypt_existing("marketing", "lead", "phone"),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                fields=["phone"], name="marketing_lead_phone", opclasses=["text_pattern_ops"]
            ),
        ),
    ]
