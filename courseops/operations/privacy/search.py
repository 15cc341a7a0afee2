"""The `mentions` lookup: does a text or JSON column contain a person's email, name or
phone? What an erasure asks of every table that may quote them.

On PostgreSQL it is a full-text phrase match with the `simple` configuration (no
stemming, no stop words: `'ana@example.com'`, `'+34600111222'`, `'lucía' <-> 'pérez'`;
URL punctuation read as spaces, so an email in a link's query string is a word too),
which a GIN index on `to_tsvector('simple', column::text)` answers without reading the
table (`search_indexes.text_search_indexes`): erasing one person costs about the same
among a thousand people or a hundred thousand (`bench/README.md`). Elsewhere (SQLite)
it is a case-insensitive substring search that reads the table. Either way the rows
found are then redacted by substring in Python (`redact.redact`), so a phrase match
that is not the very text changes nothing.
"""

from django.db.models import CharField, JSONField, Lookup, TextField
from django.db.models.functions import Cast
from django.db.models.lookups import IContains

CONFIG = "simple"


# URL punctuation read as spaces on both sides: the parser would otherwise keep an email
# in a query string ("...?email=ana@example.com") inside one URL token.
URL_PUNCTUATION = "/?=&:#"


def _words(sql):
    return f"translate({sql}, '{URL_PUNCTUATION}', '{' ' * len(URL_PUNCTUATION)}')"


def tsvector_sql(column_sql):
    """The indexed expression; a query must spell it the same way to use the index."""
    return f"to_tsvector('{CONFIG}'::regconfig, {_words(f'({column_sql})::text')})"


class _IContainsAsGiven(IContains):
    prepare_rhs = False  # the needle as given (an encrypted field would encrypt it)


class Mentions(Lookup):
    lookup_name = "mentions"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs = self.lhs
        if isinstance(lhs.output_field, JSONField):
            lhs = Cast(lhs, output_field=TextField())
        return _IContainsAsGiven(lhs, str(self.rhs)).as_sql(compiler, connection)

    def as_postgresql(self, compiler, connection):
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        return (
            f"{tsvector_sql(lhs_sql)} @@ phraseto_tsquery('{CONFIG}'::regconfig, {_words('%s')})",
            [*lhs_params, str(self.rhs)],
        )


for field_class in (CharField, TextField, JSONField):
    field_class.register_lookup(Mentions)
