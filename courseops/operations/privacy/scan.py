"""After an erasure, look everywhere: every text and JSON column of every table, for the
person's email, names and phones. The counts per table go on the erasure record; zero is
what an erasure promises, and a table that is not zero names the part that missed it.

Deliberately not the parts' own searches (indexed, column by column): those find what
each part knows it holds. This reads every row of every table, so it also catches what
no part declared (an id built from an email, a column added later). It costs a full read
of the text columns, once per erasure.
"""

from django.apps import apps
from django.db import connection

TEXT_TYPES = {"CharField", "TextField", "JSONField", "EmailField", "SlugField", "URLField"}


def text_columns():
    """{table: [columns]} of every text-like column of every model's table."""
    tables = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        columns = [
            field.column
            for field in meta.concrete_fields
            if field.get_internal_type() in TEXT_TYPES
        ]
        if columns:
            tables.setdefault(meta.db_table, [])
            tables[meta.db_table] += [c for c in columns if c not in tables[meta.db_table]]
    return dict(sorted(tables.items()))


def count_traces(needles) -> dict[str, int]:
    """{table: rows where any text column contains any needle (case-insensitive)}."""
    needles = [n.lower() for n in needles if n]
    counts = {}
    if not needles:
        return counts
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, columns in text_columns().items():
            conditions = " OR ".join(
                f"LOWER(CAST({quote(column)} AS TEXT)) LIKE %s"
                for column in columns
                for _needle in needles
            )
            params = [f"%{needle}%" for _column in columns for needle in needles]
            cursor.execute(f"SELECT COUNT(*) FROM {quote(table)} WHERE {conditions}", params)  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts
