"""When the sweeper next asks an interrupted message's provider whether it took it
(services.reconciliation), and the partial index its scan uses: empty on every existing
row, so the rows interrupted before this stay with staff, as they were."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0015_claimed_incarnation"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboundmessage",
            name="provider_check_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="próxima consulta al proveedor"
            ),
        ),
        migrations.AddIndex(
            model_name="outboundmessage",
            index=models.Index(
                condition=models.Q(("status", "interrupted")),
                fields=["provider_check_at"],
                name="messaging_provider_check_due",
            ),
        ),
    ]
