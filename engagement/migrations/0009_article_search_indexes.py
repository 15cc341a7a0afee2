"""Full-text GIN indexes for the knowledge base, on PostgreSQL only (SQLite uses the
ranked fallback in `engagement.services.faq`). The expressions match the search query's."""

from django.db import migrations

CONFIGS = {"es": "spanish", "en": "english"}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for language, config in CONFIGS.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS engagement_article_fts_{language} "
            f"ON engagement_knowledgearticle USING gin "
            # What Django's SearchVector("question", "answer", config=...) compiles to.
            f"(to_tsvector('{config}'::regconfig, "
            f"COALESCE(question, '') || ' ' || COALESCE(answer, '')))"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for language in CONFIGS:
        schema_editor.execute(f"DROP INDEX IF EXISTS engagement_article_fts_{language}")


class Migration(migrations.Migration):
    dependencies = [("engagement", "0008_faq")]

    operations = [migrations.RunPython(create, drop)]
