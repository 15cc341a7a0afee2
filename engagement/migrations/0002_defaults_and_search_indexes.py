"""The issue's default nudge rules, as rows staff can edit or switch off in the admin, and
the knowledge base's full-text GIN indexes on PostgreSQL (SQLite uses the ranked fallback
in `engagement.services.faq`; the expressions match the search query's)."""

from django.db import migrations

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
SEARCH_CONFIGS = {"es": "spanish", "en": "english"}


def create_default_rules(apps, schema_editor):
    NudgeRule = apps.get_model("engagement", "NudgeRule")
    for name, kind, threshold, cooldown in DEFAULT_RULES:
        NudgeRule.objects.get_or_create(
            name=name, defaults={"kind": kind, "threshold": threshold, "cooldown_days": cooldown}
        )


def create_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for language, config in SEARCH_CONFIGS.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS engagement_article_fts_{language} "
            f"ON engagement_knowledgearticle USING gin "
            # What Django's SearchVector("question", "answer", config=...) compiles to.
            f"(to_tsvector('{config}'::regconfig, "
            f"COALESCE(question, '') || ' ' || COALESCE(answer, '')))"
        )


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for language in SEARCH_CONFIGS:
        schema_editor.execute(f"DROP INDEX IF EXISTS engagement_article_fts_{language}")


class Migration(migrations.Migration):
    dependencies = [("engagement", "0001_initial")]

    operations = [
        migrations.RunPython(create_default_rules, migrations.RunPython.noop),
        migrations.RunPython(create_search_indexes, drop_search_indexes),
    ]
