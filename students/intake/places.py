"""Countries and time zones as people write them in forms and spreadsheets.

A country may come as its ISO code ("ES") or its name in Spanish, English or Portuguese
("España", "Spain", "Espanha", "mexico"); a time zone as its IANA name ("Europe/Madrid")
or a label such as form tools show ("Madrid (CET)", "(GMT-06:00) Ciudad de México",
"Hora de Buenos Aires"). Names come from django-countries' catalogs (read directly with
gettext, so the project's own catalog is untouched); matching ignores case and accents.
"""

import gettext
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from zoneinfo import available_timezones

import django_countries
import phonenumbers
from django.utils import translation
from django_countries.data import COUNTRIES

# django-countries' catalogs for the languages our students write in.
NAME_LANGUAGES = ("es", "pt_BR", "pt_PT")
# Names people use that no catalog spells so.
COUNTRY_ALIASES = {
    "eeuu": "US",
    "ee uu": "US",
    "usa": "US",
    "us": "US",
    "estados unidos de america": "US",
    "uk": "GB",
    "reino unido": "GB",
    "inglaterra": "GB",
    "holanda": "NL",
    "republica dominicana": "DO",
    "rep dominicana": "DO",
}
# City names in Spanish or Portuguese whose IANA spelling differs.
CITY_ALIASES = {
    "ciudad de mexico": "America/Mexico_City",
    "cdmx": "America/Mexico_City",
    "mexico df": "America/Mexico_City",
    "guadalajara": "America/Mexico_City",
    "monterrey": "America/Monterrey",
    "nueva york": "America/New_York",
    "lisboa": "Europe/Lisbon",
    "londres": "Europe/London",
    "sao paulo": "America/Sao_Paulo",
    "brasilia": "America/Sao_Paulo",
    "santiago de chile": "America/Santiago",
    "barcelona": "Europe/Madrid",
    "canarias": "Atlantic/Canary",
    "islas canarias": "Atlantic/Canary",
    "quito": "America/Guayaquil",
    "san jose": "America/Costa_Rica",
    "ciudad de guatemala": "America/Guatemala",
    "ciudad de panama": "America/Panama",
    "asuncion": "America/Asuncion",
    "los angeles": "America/Los_Angeles",
}
_OFFSET = re.compile(r"\b(?:gmt|utc)\s*[+-−]?\s*\d{0,2}(?::?\d{2})?", re.IGNORECASE)
_ABBREVIATION = re.compile(r"^[A-Z]{2,5}$")


def folded(text) -> str:
    """Lowercase, without accents or punctuation, single spaces: how names are compared."""
    text = unicodedata.normalize("NFKD", str(text or ""))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


@lru_cache(maxsize=1)
def _country_names():
    locale_dir = Path(django_countries.__file__).parent / "locale"
    with translation.override("en"):
        english = {code: str(name) for code, name in COUNTRIES.items()}
    names = {folded(name): code for code, name in english.items()}
    for language in NAME_LANGUAGES:
        catalog = gettext.translation("django", locale_dir, languages=[language], fallback=True)
        for code, name in english.items():
            names.setdefault(folded(catalog.gettext(name)), code)
    names.update(COUNTRY_ALIASES)
    return names


def country_code(value) -> str | None:
    """The ISO 3166-1 alpha-2 code of a country written as a code or a name; None if unknown."""
    raw = str(value or "").strip()
    if len(raw) == 2 and raw.upper() in phonenumbers.SUPPORTED_REGIONS:
        return raw.upper()
    code = _country_names().get(folded(raw))
    return code if code in phonenumbers.SUPPORTED_REGIONS else None


@lru_cache(maxsize=1)
def known_zones():
    return frozenset(available_timezones())


@lru_cache(maxsize=1)
def _zones_by_city():
    cities = {}
    for zone in sorted(known_zones()):
        if "/" not in zone or zone.startswith(("Etc/", "SystemV/", "US/")):
            continue
        cities.setdefault(folded(zone.rsplit("/", 1)[1].replace("_", " ")), zone)
    cities.update(CITY_ALIASES)
    return cities


def time_zone_name(value) -> str | None:
    """The IANA name of a time zone written as such or as a common label; None if unknown."""
    raw = " ".join(str(value or "").split())
    if not raw:
        return None
    if raw in known_zones():
        return raw
    # "Madrid (CET)", "(GMT-06:00) Ciudad de México", "Europe/Madrid (GMT+1)", "Hora de Lima"
    # A bare abbreviation inside a label ("CET", "EST") is a fixed offset, not the place's
    # zone with its summer time: the place named beside it is the answer.
    pieces = [p.strip() for p in re.split(r"[()\[\],;|]", raw)]
    cities = _zones_by_city()
    for piece in pieces:
        if not piece or _ABBREVIATION.match(piece):
            continue
        if piece in known_zones():
            return piece
        name = folded(_OFFSET.sub(" ", piece))
        name = re.sub(r"^(hora de|hora|horario de|time in|horario)\s+", "", name)
        if name in cities:
            return cities[name]
    return None
