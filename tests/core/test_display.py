"""One rule for what people read: zones named in words, numbers rounded half up."""

from datetime import UTC, datetime
from decimal import Decimal

from courseops.core.display import (
    local_when,
    money,
    number,
    percent,
    percent_value,
    readable,
    zone_label,
)


def test_percentages_round_half_up_as_people_expect():
    assert percent_value(1, 8) == 13  # 12.5
    assert percent_value(3, 8) == 38  # 37.5
    assert percent_value(5, 8) == 63  # 62.5 (half-even also said 62)
    assert percent_value(1, 3, 1) == Decimal("33.3")
    assert percent(1, 8, language="es") == "13 %"
    assert percent(1, 0) == "-"


def test_numbers_and_money_round_half_up_and_never_read_minus_zero():
    assert number(-0.04, 1, language="es") == "0,0"
    assert number(2.25, 1, language="es") == "2,3"
    assert number(1234.5, 1, language="en") == "1,234.5"
    assert money(Decimal("2.345"), "usd", language="es") == "2,35 USD"
    assert money(0.125, language="en") == "0.13"


def test_small_figures_keep_two_significant_digits_instead_of_reading_zero():
    assert readable(Decimal("0.027"), language="es") == "0,027"
    assert readable(0.00034, language="es") == "0,00034"
    assert readable(Decimal("0.0271845"), language="es") == "0,027"
    assert readable(0.5, language="en") == "0.5"
    assert readable(12.34, language="es") == "12,3"
    assert readable(1234, language="es") == number(1234, 0, language="es")  # grouped
    assert readable(0, language="es") == "0"


def test_a_zone_is_named_in_words_in_the_readers_language():
    assert zone_label("Europe/Madrid", "es") == "hora de España (Madrid)"
    assert zone_label("America/Mexico_City", "en") == "Mexico (Mexico City) Time"
    assert zone_label("America/Argentina/Buenos_Aires", "es") == "hora de Argentina (Buenos Aires)"
    assert zone_label("UTC", "es") == "UTC"
    moment = datetime(2026, 12, 10, 21, 0, tzinfo=UTC)
    assert local_when(moment, time_zone="Europe/Madrid", language="es") == (
        "10 de diciembre de 2026 a las 22:00, hora de España (Madrid)"
    )
