"""Audience sync log rows say why they ran: the segment sync, or a person's erasure."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("marketing", "0010_offer_redemption_landing_page"),
    ]

    operations = [
        migrations.AddField(
            model_name="audiencesync",
            name="reason",
            field=models.CharField(
                choices=[
                    ("sync", "Sincronización del segmento"),
                    ("erasure", "Borrado de una persona (RGPD)"),
                ],
                default="sync",
                max_length=10,
                verbose_name="motivo",
            ),
        ),
    ]
