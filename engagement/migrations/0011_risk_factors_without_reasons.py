"""Risk reasons are built from the factors' values when shown (in the reader's language),
so the sentence each stored factor carried is dropped; scores and points are unchanged."""

from django.db import migrations

BATCH = 2000


def rewrite_factors(apps, rewrite):
    RiskScore = apps.get_model("engagement", "RiskScore")
    changed = []
    for risk in RiskScore.objects.only("pk", "factors").iterator(chunk_size=BATCH):
        risk.factors = [rewrite(factor) for factor in risk.factors]
        changed.append(risk)
        if len(changed) >= BATCH:
            RiskScore.objects.bulk_update(changed, ["factors"])
            changed = []
    RiskScore.objects.bulk_update(changed, ["factors"])


def drop_stored_reasons(apps, schema_editor):
    rewrite_factors(
        apps, lambda factor: {key: value for key, value in factor.items() if key != "reason"}
    )


def store_reasons_again(apps, schema_editor):
    """Backwards: the code before this migration reads each factor's stored reason."""
    from engagement.models import risk_reason

    rewrite_factors(
        apps, lambda factor: {**factor, "reason": risk_reason(factor["factor"], factor["value"])}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("engagement", "0010_recording_watched_activity"),
    ]

    operations = [
        migrations.RunPython(drop_stored_reasons, store_reasons_again, elidable=True),
    ]
