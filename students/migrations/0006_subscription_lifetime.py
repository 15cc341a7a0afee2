from django.db import migrations, models
from django.db.models import F

ENDED = ("canceled", "incomplete_expired")


def backfill(apps, schema_editor):
    """Rows mirrored before Stripe's dates were kept: when we first and last heard of them
    is the closest we have (the next event re-reads the exact dates from Stripe)."""
    Subscription = apps.get_model("students", "Subscription")
    Subscription.objects.filter(started_at__isnull=True).update(started_at=F("created_at"))
    Subscription.objects.filter(status__in=ENDED, ended_at__isnull=True).update(
        ended_at=F("updated_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("students", "0005_typeformform_purpose"),
    ]

    operations = [
        migrations.AddField(
            model_name="subscription",
            name="started_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="empezó"),
        ),
        migrations.AddField(
            model_name="subscription",
            name="ended_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="terminó"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
