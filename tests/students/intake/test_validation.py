import pytest

from students.intake.validation import clean_registration


@pytest.fixture
def valid(plans):
    return {"email": "ana@example.com", "full_name": "Ana Ruiz", "plan": "basico"}


def test_a_mistyped_common_domain_is_an_error_that_suggests_the_right_one(valid):
    result = clean_registration({**valid, "email": "ana.ruiz@gmial.com"})
    assert result.errors["email"] == [
        "¿Quisiste decir ana.ruiz@gmail.com? Revisa el dominio del email."
    ]


@pytest.mark.parametrize(
    ("domain", "suggested"),
    [
        ("gmial.com", "gmail.com"),
        ("gmail.con", "gmail.com"),
        ("gmail.co", "gmail.com"),
        ("hotmal.es", "hotmail.es"),
        ("yaho.com.mx", "yahoo.com.mx"),
        ("outlok.com", "outlook.com"),
    ],
)
def test_common_provider_typos_are_suggested(valid, domain, suggested):
    errors = clean_registration({**valid, "email": f"ana@{domain}"}).errors
    assert errors["email"] == [f"¿Quisiste decir ana@{suggested}? Revisa el dominio del email."]


@pytest.mark.parametrize(
    "domain", ["yahoo.com.ar", "hotmail.com.mx", "outlook.es", "live.com.mx", "gmx.com", "unam.mx"]
)
def test_real_provider_domains_in_other_countries_are_not_flagged(valid, domain):
    assert clean_registration({**valid, "email": f"ana@{domain}"}).errors == {}


def test_a_real_uncommon_domain_is_accepted_and_normalised(valid):
    result = clean_registration({**valid, "email": " Ana@Academia-IA.ORG "})
    assert result.errors == {}
    assert result.values["email"] == "Ana@academia-ia.org"


def test_an_email_without_a_domain_is_rejected(valid):
    result = clean_registration({**valid, "email": "ana-at-example"})
    assert result.errors["email"] == [
        "El email no es válido: escríbelo como nombre@dominio.com, sin espacios."
    ]


def test_a_national_phone_is_stored_in_e164_using_the_students_country(valid):
    result = clean_registration({**valid, "phone": "(55) 1234-5678", "country": "mx"})
    assert result.values["phone"] == "+525512345678"
    assert result.values["country"] == "MX"


def test_an_international_phone_gives_the_country_when_the_form_had_none(valid):
    result = clean_registration({**valid, "phone": "+34 612 345 678"})
    assert result.values["phone"] == "+34612345678"
    assert result.values["country"] == "ES"
    assert result.values["time_zone"] == "Europe/Madrid"


def test_a_national_phone_without_a_country_asks_for_the_prefix(valid):
    result = clean_registration({**valid, "phone": "612 345 678"})
    assert "prefijo" in result.errors["phone"][0]


def test_an_unknown_plan_is_rejected_listing_the_valid_ones(valid):
    result = clean_registration({**valid, "plan": "oro"})
    assert result.errors["plan"] == [
        "Plan desconocido «oro». Planes válidos: basico, premium, vip."
    ]


def test_a_plan_can_be_given_by_its_name_in_any_case(valid):
    assert clean_registration({**valid, "plan": "básico"}).values["plan"].slug == "basico"


def test_the_time_zone_comes_from_the_country_when_the_form_has_none(valid):
    assert clean_registration({**valid, "country": "AR"}).values["time_zone"] == (
        "America/Argentina/Buenos_Aires"
    )
    assert clean_registration({**valid, "country": "CO"}).values["time_zone"] == "America/Bogota"


def test_a_time_zone_from_the_form_wins_and_must_exist(valid):
    chosen = {**valid, "country": "MX", "time_zone": "America/Tijuana"}
    assert clean_registration(chosen).values["time_zone"] == "America/Tijuana"
    assert "time_zone" in clean_registration({**valid, "time_zone": "Mars/Olympus"}).errors


@pytest.mark.parametrize(
    ("given", "expected"), [("", "es"), ("EN", "en"), ("Português", "pt"), ("es-MX", "es")]
)
def test_languages_are_es_en_or_pt(valid, given, expected):
    assert clean_registration({**valid, "language": given}).values["language"] == expected


def test_other_languages_are_rejected(valid):
    assert clean_registration({**valid, "language": "fr"}).errors["language"]


def test_missing_name_and_plan_are_both_reported(plans):
    errors = clean_registration({"email": "ana@example.com"}).errors
    assert set(errors) == {"full_name", "plan"}


def test_interests_may_come_as_a_comma_separated_string(valid):
    result = clean_registration({**valid, "interests": "nlp, visión; nlp"})
    assert result.values["interests"] == ["nlp", "visión"]


@pytest.mark.parametrize("typed", ["+5215512345678", "+52 1 55 1234 5678"])
def test_the_old_mexican_mobile_is_accepted_as_webinars_do_in_todays_numbering(valid, typed):
    result = clean_registration({**valid, "phone": typed})
    assert not result.errors
    assert (result.values["phone"], result.values["country"]) == ("+525512345678", "MX")
