"""The default nudge rules, installed after `migrate` (and after a test flush) into a
database that has none, as rows staff edit or switch off in the admin."""

from django.db import DEFAULT_DB_ALIAS

DEFAULT_RULES = [
    # name, kind, threshold, cooldown days
    ("Inactivo 7 días", "inactive", 7, 7),
    ("Hito 25 %", "milestone", 25, 0),
    ("Hito 50 %", "milestone", 50, 0),
    ("Hito 75 %", "milestone", 75, 0),
    ("Racha de 7 días", "streak", 7, 7),
    ("Curso completado", "course_completed", 0, 0),
    ("Tarea vence en 2 días", "assignment_due", 2, 0),
    ("Tarea vencida", "assignment_overdue", 0, 0),
]


def install_default_rules(NudgeRule, *, using=DEFAULT_DB_ALIAS):
    """Only into an empty rule table: rules staff renamed, changed or deleted one by one
    stay as they left them."""
    rules = NudgeRule.objects.using(using)
    if rules.exists():
        return 0
    rules.bulk_create(
        NudgeRule(name=name, kind=kind, threshold=threshold, cooldown_days=cooldown)
        for name, kind, threshold, cooldown in DEFAULT_RULES
    )
    return len(DEFAULT_RULES)


def on_post_migrate(sender, using=DEFAULT_DB_ALIAS, apps=None, **kwargs):
    if apps is None:  # a flush sends no migration state: the models are current
        from django.apps import apps
    try:
        NudgeRule = apps.get_model("engagement", "NudgeRule")
    except LookupError:  # migrated back before the rules existed
        return
    install_default_rules(NudgeRule, using=using)
