"""Migration steps for the indexes an erasure's searches use on PostgreSQL.

An erasure looks for a person's email, names and phones inside free text and JSON (the
`mentions` lookup, `privacy/search.py`): a GIN index on `to_tsvector('simple',
column::text)` answers it. It matches addresses with `iexact`, which compares
`UPPER(column::text)`: a b-tree index on that expression answers it. With both, erasing
one person costs about the same among a thousand people or a hundred thousand. SQLite has no such
indexes: there the search reads the tables (the embedded default is for one machine).

The indexes are built `CONCURRENTLY` (no write lock on a big outbox), so a migration
using them declares `atomic = False`. An index may be partial (`condition`, a Q on the
model's columns): the outbox's hold only rows at rest, so a queued message's INSERT and
its claim compute no tsvector (PostgreSQL tests the predicate first); a query uses such an
index only for a condition that implies the predicate, and the other rows are searched
apart (`redact.scrub(within=...)`): the outbox's rows in flight without a text index, so
that part of an erasure costs in proportion to the messages waiting, not to the table.
"""

import hashlib

from django.db import migrations
from django.db.models.sql import Query

from courseops.operations.privacy.search import tsvector_sql


def _index_name(table, column, kind):
    digest = hashlib.sha256(f"{table}.{column}.{kind}".encode()).hexdigest()[:8]
    return f"{table[:36]}_{column[:10]}_{kind}_{digest}"


def _condition_sql(model, condition, schema_editor):
    """`condition` as SQL with its values quoted (as Django builds a partial `Index`'s)."""
    query = Query(model=model, alias_cols=False)
    compiler = query.get_compiler(connection=schema_editor.connection)
    sql, params = query.build_where(condition).as_sql(compiler, schema_editor.connection)
    return sql % tuple(schema_editor.quote_value(param) for param in params)


def _drop_if_invalid(schema_editor, index):
    """A `CREATE INDEX CONCURRENTLY` that failed (a deadlock, a deploy cancelled) leaves an
    invalid index, which `IF NOT EXISTS` would keep and the planner never uses: it is
    dropped so that running the migration again builds it."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", [index]
        )
        row = cursor.fetchone()
    if row is not None and not row[0]:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {index}")


def _indexes(app_label, model_name, fields, kind, expression, method, condition=None):
    def columns(apps, schema_editor):
        Model = apps.get_model(app_label, model_name)
        quote = schema_editor.quote_name
        for name in fields:
            column = Model._meta.get_field(name).column
            yield (
                quote(Model._meta.db_table),
                quote(_index_name(Model._meta.db_table, column, kind)),
                quote(column),
            )

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        where = ""
        if condition is not None:
            model = apps.get_model(app_label, model_name)
            where = f" WHERE {_condition_sql(model, condition, schema_editor)}"
        for table, index, column in columns(apps, schema_editor):
            _drop_if_invalid(schema_editor, index)
            schema_editor.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {index} "
                f"ON {table} USING {method} (({expression(column)})){where}"
            )

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for _table, index, _column in columns(apps, schema_editor):
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {index}")

    return migrations.RunPython(forward, backward, elidable=False)


def text_search_indexes(app_label, model_name, *fields, condition=None, kind="fts"):
    """GIN full-text indexes for the `mentions` lookup on `fields` (PostgreSQL only); with
    `condition` (a Q), partial ones, which need a `kind` of their own (it names them)."""
    if condition is not None and kind == "fts":
        raise ValueError("Partial text search indexes need a kind of their own.")
    return _indexes(app_label, model_name, fields, kind, tsvector_sql, "gin", condition)


def dropped(operation):
    """`operation` reversed: drops the indexes it creates, and builds them again backwards."""
    return migrations.RunPython(operation.reverse_code, operation.code, elidable=False)


def iexact_indexes(app_label, model_name, *fields):
    """B-tree indexes on `UPPER(column::text)` for `iexact` on `fields` (PostgreSQL only)."""
    return _indexes(
        app_label, model_name, fields, "ci", lambda column: f"UPPER(({column})::text)", "btree"
    )
