"""`EncryptedCharField`: a short text stored encrypted (Fernet) in a text column.

The ciphertext is different at every save, so SQL cannot compare it. A field declared
`searchable=True` stores `<blind index>:<token>` instead, and its `exact` and `in`
lookups match on the blind index, so `Student.objects.filter(phone="+34600111222")` keeps
working; ordering, `contains` and the like are refused. An empty string is stored as is.
"""

from django import forms
from django.core.exceptions import FieldError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import CharField, Lookup, Q
from django.db.models.functions import Left

from courseops.operations import encryption


class EncryptedCharField(models.TextField):
    def __init__(self, *args, searchable=False, **kwargs):
        self.searchable = searchable
        super().__init__(*args, **kwargs)
        if self.max_length:
            self.validators.append(MaxLengthValidator(self.max_length))

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.searchable:
            kwargs["searchable"] = True
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return encryption.decrypt(value.rpartition(":")[2])

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        token = encryption.encrypt(value)
        return f"{encryption.blind_index(value)}:{token}" if self.searchable else token

    def encrypted_rows(self):
        """A condition on the rows holding a ciphertext here: the ones a rotation rewrites."""
        return ~Q(**{self.name: ""})

    def formfield(self, **kwargs):
        # A one-line input for the plaintext's length, not the text column's textarea.
        return models.Field.formfield(
            self, **{"form_class": forms.CharField, "max_length": self.max_length, **kwargs}
        )

    def get_lookup(self, lookup_name):
        if lookup_name in ("isnull", "exact", "in"):
            return super().get_lookup(lookup_name)
        raise FieldError(f"An encrypted field cannot be filtered with '{lookup_name}'.")


def stored_blind_index(expression):
    """The blind-index prefix of a searchable encrypted column, as an SQL expression: what
    a join compares with a plain column holding `encryption.blind_index(value)`."""
    return Left(expression, encryption.BLIND_INDEX_CHARS, output_field=CharField())


class _BlindIndexMixin:
    """Compare the stored value's blind-index prefix instead of the ciphertext."""

    prepare_rhs = False

    def get_prep_lookup(self):
        if hasattr(self.rhs, "resolve_expression") and not hasattr(self.rhs, "__iter__"):
            raise FieldError("An encrypted field can only be compared with plain values.")
        return self.rhs

    def _condition(self, lhs_sql, value):
        if value == "":
            return f"{lhs_sql} = %s", [""]
        if not self.lhs.output_field.searchable:
            raise FieldError(
                f"{self.lhs.output_field.name} is encrypted and not searchable: "
                "declare it with searchable=True to filter by value."
            )
        return f"{lhs_sql} LIKE %s", [f"{encryption.blind_index(value)}:%"]


@EncryptedCharField.register_lookup
class EncryptedExact(_BlindIndexMixin, Lookup):
    lookup_name = "exact"

    def as_sql(self, compiler, connection):
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        sql, params = self._condition(lhs_sql, str(self.rhs))
        return sql, [*lhs_params, *params]


@EncryptedCharField.register_lookup
class EncryptedIn(_BlindIndexMixin, Lookup):
    lookup_name = "in"

    def as_sql(self, compiler, connection):
        from django.core.exceptions import EmptyResultSet

        values = sorted({str(value) for value in self.rhs if value is not None})
        if not values:
            raise EmptyResultSet
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        parts, params = [], []
        for value in values:
            sql, value_params = self._condition(lhs_sql, value)
            parts.append(sql)
            params += [*lhs_params, *value_params]
        return "(" + " OR ".join(parts) + ")", params
