"""Form fields staff fill in the admin as a person would: a country picked by its name, a
time zone picked by its city under its region, a phone number with its country, tags.

Each one stores what the models always stored (an ISO country code, an IANA zone name, an
E.164 number, a list of strings), so nothing downstream changes and no data migrates.
"""

from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from django import forms
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from phonenumber_field.formfields import PrefixChoiceField, SplitPhoneNumberField
from phonenumber_field.phonenumber import to_python
from phonenumber_field.widgets import PhoneNumberPrefixWidget
from unfold.widgets import (
    UnfoldAdminSelect2MultipleWidget,
    UnfoldAdminSelect2Widget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextInputWidget,
)

from courseops.core.display import zone_label

# IANA's first part -> the region's name staff read; zones outside these (Etc/GMT+5,
# US/Eastern, legacy aliases) are not offered.
REGIONS = {
    "America": _("América"),
    "Europe": _("Europa"),
    "Atlantic": _("Atlántico"),
    "Africa": _("África"),
    "Asia": _("Asia"),
    "Australia": _("Australia"),
    "Pacific": _("Pacífico"),
    "Indian": _("Océano Índico"),
    "Antarctica": _("Antártida"),
    "Arctic": _("Ártico"),
}


def _language():
    return (translation.get_language() or "es")[:2]


@lru_cache(maxsize=1)
def _canonical_zones():
    """One name per zone, as IANA's zone.tab lists them (no aliases such as
    America/Buenos_Aires beside America/Argentina/Buenos_Aires)."""
    table = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text()
    return sorted({line.split("\t")[2] for line in table.splitlines() if line and line[0] != "#"})


@lru_cache(maxsize=4)
def _zone_choices(language):
    groups = {region: [] for region in REGIONS}
    for zone in _canonical_zones():
        region = zone.split("/", 1)[0]
        if region in groups and "/" in zone:
            groups[region].append((zone, capfirst(zone_label(zone, language))))
    with translation.override(language):
        return [("UTC", "UTC")] + [
            (str(REGIONS[region]), sorted(zones, key=lambda item: item[1]))
            for region, zones in groups.items()
        ]


def time_zone_choices():
    """Zones grouped by region, each named in words in the current language."""
    return _zone_choices(_language())


def country_choices():
    """Every country by its name in the current language, sorted as people read them."""
    return [("", "---------"), *countries]


class TimeZoneChoiceField(forms.ChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("widget", UnfoldAdminSelect2Widget)
        super().__init__(choices=time_zone_choices, **kwargs)

    def prepare_value(self, value):
        # A zone stored under an alias (from an import) stays selected and valid.
        if value and not self.valid_value(value) and self._known(value):
            self.widget.choices = [*self.widget.choices, (value, capfirst(zone_label(value)))]
        return value

    def _known(self, value):
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            return False
        return True

    def validate(self, value):
        if value and self._known(value) and "/" in value:
            return
        super().validate(value)


class CountryChoiceField(forms.ChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("widget", UnfoldAdminSelect2Widget)
        super().__init__(choices=country_choices, **kwargs)


class _PhoneWidget(PhoneNumberPrefixWidget):
    def __init__(self, widgets=None, attrs=None):
        number = UnfoldAdminTextInputWidget(attrs={"type": "tel", "autocomplete": "tel"})
        super().__init__((UnfoldAdminSelectWidget, number), attrs)

    def decompress(self, value):
        # Stored numbers are E.164 text. One that is not a valid number (an old import)
        # is shown as stored, so staff see it and fix it rather than lose it.
        if isinstance(value, str) and value:
            number = to_python(value)
            if not (number and number.is_valid()):
                return [None, value]
            value = number
        return super().decompress(value)


class PhoneField(SplitPhoneNumberField):
    """The country's prefix in a list, the number as the person says it; stored as E.164."""

    widget = _PhoneWidget

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.widget.widgets[0].choices = self.fields[0].choices

    def prefix_field(self):
        return PrefixChoiceField(required=False)

    def number_field(self):
        return forms.CharField(required=False)

    def clean(self, value):
        number = super().clean(value)
        if not number:
            return ""
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class TagsField(forms.MultipleChoiceField):
    """Tags picked from the ones in use or typed anew (select2's tags mode), kept as a list."""

    def __init__(self, *, suggestions=(), **kwargs):
        kwargs.setdefault("required", False)
        self.suggestions = suggestions
        widget = UnfoldAdminSelect2MultipleWidget(
            attrs={"data-tags": "true", "data-token-separators": '[","]'}
        )
        super().__init__(choices=self._choices, widget=widget, **kwargs)

    def _choices(self):
        return [(tag, tag) for tag in self.suggestions()] if callable(self.suggestions) else []

    def prepare_value(self, value):
        # Tags already on the object are offered even when no one else has them.
        if value:
            known = {tag for tag, _label in self.widget.choices}
            self.widget.choices = [
                *self.widget.choices,
                *((tag, tag) for tag in value if tag not in known),
            ]
        return value

    def valid_value(self, value):
        return bool(str(value).strip())

    def clean(self, value):
        tags = super().clean(value)
        seen = []
        for tag in (" ".join(str(t).split()) for t in tags):
            if tag and tag.casefold() not in {s.casefold() for s in seen}:
                seen.append(tag)
        return seen
