"""Dates and times read from what people and vendors send: None for anything that is not
one, never an exception. Django's parse_date/parse_datetime return None for text of the
wrong shape but raise ValueError for a well-shaped impossible value ("2024-02-30"), which
in a view is a 500."""

from django.utils.dateparse import parse_date, parse_datetime


def date_or_none(value):
    try:
        return parse_date(value) if isinstance(value, str) else None
    except ValueError:
        return None


def datetime_or_none(value):
    try:
        return parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        return None
