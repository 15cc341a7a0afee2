"""What a person reads, one rule each: a time in the zone it belongs to, labelled with
the zone's name in words ("hora de España (Madrid)", not "Europe/Madrid"); percentages
and money rounded half up, so an email, the portal and the admin show the same figure."""

import zoneinfo
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import get_timezone_location
from django.conf import settings
from django.utils import formats, timezone, translation

UTC_NAMES = {"UTC", "Etc/UTC", "Etc/GMT", "GMT", "Z"}


def _language(language):
    return (language or translation.get_language() or settings.LANGUAGE_CODE)[:2]


def as_zone(time_zone):
    """The ZoneInfo of a stored zone name; an unknown one falls back to the business's."""
    try:
        return zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def zone_label(time_zone, language=None):
    """The zone's name in words in `language`, from CLDR: "hora de México (Ciudad de
    México)", "Spain (Madrid) Time"."""
    if time_zone in UTC_NAMES:
        return "UTC"
    city = time_zone.rsplit("/", 1)[-1].replace("_", " ")
    try:
        text = get_timezone_location(time_zone, locale=_language(language))
        cldr_city = get_timezone_location(time_zone, locale=_language(language), return_city=True)
    except (LookupError, ValueError):
        return city
    # CLDR has no city for a few long IANA names (America/Argentina/Buenos_Aires).
    return text.replace(cldr_city, city) if "/" in cldr_city else text


def local_when(moment, *, time_zone, language=None):
    """A moment as a person reads it: date and time in `time_zone`, then the zone in words."""
    language = _language(language)
    local = timezone.localtime(moment, as_zone(time_zone))
    with translation.override(language):
        text = formats.date_format(local, "DATETIME_FORMAT")
    return f"{text}, {zone_label(time_zone, language)}"


def _half_up(value, places=0):
    exponent = Decimal(1).scaleb(-places)
    return Decimal(str(value)).quantize(exponent, rounding=ROUND_HALF_UP)


def rounded(value, places=0):
    """`value` rounded half up (2.5 -> 3, 0.125 -> 0.13 at 2 places); a Decimal stays a
    Decimal (money), anything else becomes a float; never -0."""
    result = _half_up(value, places)
    result = abs(result) if result == 0 else result
    return result if isinstance(value, Decimal) else float(result)


def percent_value(part, whole, places=0):
    """`part` of `whole` in percent, rounded half up (1/8 -> 13, 3/8 -> 38); None if
    `whole` is 0. Returns an int for places=0, else a Decimal."""
    if not whole:
        return None
    value = _half_up(Decimal(part) * 100 / Decimal(whole), places)
    return int(value) if places == 0 else value


def percent(part, whole, places=0, language=None):
    """ "13 %" (Spanish and English alike put a space before the sign here); "-" with no whole."""
    value = percent_value(part, whole, places)
    if value is None:
        return "-"
    return f"{number(value, places, language)} %"


def number(value, places=0, language=None):
    """A number rounded half up with the language's separators ("1.234,5" / "1,234.5");
    never "-0"."""
    rounded = _half_up(value, places)
    if rounded == 0:
        rounded = abs(rounded)
    with translation.override(_language(language)):
        return formats.number_format(rounded, places, use_l10n=True, force_grouping=True)


def readable(value, language=None, digits=2):
    """A figure with the precision that makes it readable: below 1, `digits` significant
    digits ("0,027", "0,00034", never "0,0"); from 1 up, at most one decimal ("12,3", "45")."""
    value = Decimal(str(value))
    if value == 0:
        return number(0, 0, language)
    if abs(value) >= 1:
        places = 0 if value == value.to_integral_value() else 1
    else:
        places = digits - 1 - value.adjusted()
    shown = _half_up(value, places).normalize()
    return number(shown, max(0, -shown.as_tuple().exponent), language)


def money(amount, currency="", language=None, places=2):
    """An amount with two decimals (`places=0` for JPY and the like), rounded half up, and
    its currency code after it: "49,50 USD"."""
    text = number(amount, places, language)
    return f"{text} {currency.upper()}".strip()
