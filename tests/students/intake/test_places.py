"""Countries and time zones as people write them, at every door (one validation)."""

import pytest

from students.intake.places import country_code, time_zone_name
from students.intake.validation import clean_registration


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("ES", "ES"),
        ("es", "ES"),
        ("España", "ES"),
        ("espana", "ES"),
        ("Spain", "ES"),
        ("Espanha", "ES"),
        ("México", "MX"),
        ("Mexico", "MX"),
        ("Brasil", "BR"),
        ("Brazil", "BR"),
        ("Estados Unidos", "US"),
        ("EEUU", "US"),
        ("Perú", "PE"),
        ("Argentina", "AR"),
        ("Alemanha", "DE"),
    ],
)
def test_a_country_is_its_iso_code_or_its_name_in_spanish_english_or_portuguese(written, code):
    assert country_code(written) == code


@pytest.mark.parametrize("written", ["Atlántida", "XX", "", "Europa"])
def test_an_unknown_country_is_none(written):
    assert country_code(written) is None


@pytest.mark.parametrize(
    ("written", "zone"),
    [
        ("Europe/Madrid", "Europe/Madrid"),
        ("Madrid (CET)", "Europe/Madrid"),
        ("(GMT+01:00) Madrid", "Europe/Madrid"),
        ("Ciudad de México (CST)", "America/Mexico_City"),
        ("(GMT-06:00) Ciudad de México", "America/Mexico_City"),
        ("Hora de Bogotá", "America/Bogota"),
        ("Buenos Aires (ART)", "America/Argentina/Buenos_Aires"),
        ("São Paulo", "America/Sao_Paulo"),
        ("Lima", "America/Lima"),
        ("Nueva York (EST)", "America/New_York"),
        ("Europe/Lisbon (WET)", "Europe/Lisbon"),
    ],
)
def test_a_time_zone_is_its_iana_name_or_a_common_label(written, zone):
    assert time_zone_name(written) == zone


@pytest.mark.parametrize("written", ["GMT+1", "Marte", "(CET)", ""])
def test_an_ambiguous_or_unknown_time_zone_label_is_none(written):
    assert time_zone_name(written) is None


def test_the_registration_accepts_names_and_labels_and_stores_codes(plans):
    cleaned = clean_registration(
        {
            "email": "ana@example.com",
            "full_name": "Ana",
            "plan": "Premium",
            "country": "España",
            "time_zone": "Madrid (CET)",
        }
    )
    assert cleaned.errors == {}
    assert (cleaned.values["country"], cleaned.values["time_zone"]) == ("ES", "Europe/Madrid")


def test_an_unknown_time_zone_names_what_was_written(plans):
    cleaned = clean_registration(
        {"email": "ana@example.com", "full_name": "Ana", "plan": "basico", "time_zone": "Marte"}
    )
    assert "«Marte»" in cleaned.errors["time_zone"][0]
