"""The issue's defaults, as rows staff can edit or switch off in the admin."""

from django.db import migrations

DEFAULT_RULES = [
    ("Inactivo 7 días", "inactive", 7, 7),
    ("Hito 25 %", "milestone", 25, 0),
    ("Hito 50 %", "milestone", 50, 0),
    ("Hito 75 %", "milestone", 75, 0),
    ("Racha de 7 días", "streak", 7, 7),
    ("Curso completado", "course_completed", 0, 0),
]


def create_default_rules(apps, schema_editor):
    NudgeRule = apps.get_model("engagement", "NudgeRule")
    for name, kind, threshold, cooldown in DEFAULT_RULES:
        NudgeRule.objects.get_or_create(
            name=name, defaults={"kind": kind, "threshold": threshold, "cooldown_days": cooldown}
        )


class Migration(migrations.Migration):
    dependencies = [("engagement", "0002_nudge_rules")]

    operations = [migrations.RunPython(create_default_rules, migrations.RunPython.noop)]
