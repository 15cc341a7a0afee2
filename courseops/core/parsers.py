"""The API's request parsers (DRF's `DEFAULT_PARSER_CLASSES`)."""

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers

NUL = "\x00"


def has_nul(value) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(item) for item in value)
    return False


def nul_error():
    return exceptions.ParseError(_("El texto no puede contener el carácter NUL (\\u0000)."))


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing the NUL character anywhere in the body: no text column
    of PostgreSQL can store it, so it would otherwise end as a 500 deep in a query."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if has_nul(data):
            raise nul_error()
        return data
