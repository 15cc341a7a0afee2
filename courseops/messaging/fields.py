"""`AddressField`: the outbox's recipient, an email address or a phone number.

Phone numbers are encrypted at rest like the other phone fields (a blind index in front
of the Fernet token, so `recipient="+34600111222"` and `recipient__in=[...]` still find
them); email addresses stay in clear, as the outbox, the admin search and privacy find
messages by `recipient__iexact`. An address with an "@" is an email: an E.164 number
never has one, and a stored token never has one either.
"""

from django.core.exceptions import EmptyResultSet
from django.db.models import Lookup, Q, lookups

from courseops.operations import encryption
from courseops.operations.fields import EncryptedCharField
from courseops.operations.privacy.search import Mentions


def is_email(value) -> bool:
    return "@" in str(value)


class AddressField(EncryptedCharField):
    def __init__(self, *args, **kwargs):
        kwargs["searchable"] = True
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("searchable", None)
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        if not value or is_email(value):
            return value
        return super().from_db_value(value, expression, connection)

    def get_prep_value(self, value):
        if value and is_email(value):
            return str(value)
        return super().get_prep_value(value)

    def encrypted_rows(self):
        # Numbers only: a rotation leaves the (many) email rows alone.
        return super().encrypted_rows() & ~Q(**{f"{self.name}__contains": "@"})

    def get_lookup(self, lookup_name):
        if lookup_name == "mentions":  # an erasure's search: emails are in clear
            return Mentions
        return _LOOKUPS.get(lookup_name) or super().get_lookup(lookup_name)


def _phone_condition(lhs_sql, value):
    return f"{lhs_sql} LIKE %s", [f"{encryption.blind_index(value)}:%"]


class AddressExact(Lookup):
    """An email compared as written; a number through its blind index."""

    lookup_name = "exact"
    prepare_rhs = False
    case_insensitive = False

    def as_sql(self, compiler, connection):
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        value = str(self.rhs)
        if not value or is_email(value):
            if self.case_insensitive:  # the backend's own case-insensitive comparison
                return lookups.IExact(self.lhs, value).as_sql(compiler, connection)
            return f"{lhs_sql} = %s", [*lhs_params, value]
        sql, params = _phone_condition(lhs_sql, value)
        return sql, [*lhs_params, *params]


class AddressIExact(AddressExact):
    lookup_name = "iexact"
    case_insensitive = True


class AddressIn(Lookup):
    lookup_name = "in"
    prepare_rhs = False

    def get_prep_lookup(self):
        return self.rhs

    def as_sql(self, compiler, connection):
        if hasattr(self.rhs, "resolve_expression"):
            # A subquery of addresses (leads' emails): compared as stored, by Django's own.
            return lookups.In(self.lhs, self.rhs).as_sql(compiler, connection)
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)

        values = sorted({str(value) for value in self.rhs if value is not None})
        if not values:
            raise EmptyResultSet
        parts, params = [], []
        emails = [value for value in values if not value or is_email(value)]
        if emails:
            parts.append(f"{lhs_sql} IN ({', '.join(['%s'] * len(emails))})")
            params += [*lhs_params, *emails]
        for value in values:
            if value and not is_email(value):
                sql, value_params = _phone_condition(lhs_sql, value)
                parts.append(sql)
                params += [*lhs_params, *value_params]
        return "(" + " OR ".join(parts) + ")", params


class _EmailsOnly:
    """Pattern lookups (the admin search) look at the clear emails only, never at the
    ciphertext of a number, which could match any short term by chance."""

    prepare_rhs = False  # the term as typed, never encrypted

    def as_sql(self, compiler, connection):
        sql, params = super().as_sql(compiler, connection)
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        return f"({sql} AND {lhs_sql} LIKE %s)", [*params, *lhs_params, "%@%"]


_LOOKUPS = {
    "exact": AddressExact,
    "iexact": AddressIExact,
    "in": AddressIn,
    **{
        pattern.lookup_name: type(f"Address{pattern.__name__}", (_EmailsOnly, pattern), {})
        for pattern in (
            lookups.Contains,
            lookups.IContains,
            lookups.StartsWith,
            lookups.IStartsWith,
            lookups.EndsWith,
            lookups.IEndsWith,
        )
    },
}
