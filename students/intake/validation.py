"""Turning what a person typed into a form into clean student fields, or clear errors.

Pure functions apart from one query for the plans: every door (Typeform, API, CSV, the
correction form) goes through `clean_registration`, so they all accept and reject alike.
"""

import difflib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import phonenumbers
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from email_validator import EmailNotValidError, EmailUndeliverableError, validate_email

from courseops.messaging.services.addresses import phone_text
from students.intake.places import country_code, folded, time_zone_name
from students.models import Language, Plan

# The keys `register_student` accepts (see the contract in students/intake/services.py).
FIELDS = (
    "email",
    "full_name",
    "phone",
    "country",
    "time_zone",
    "language",
    "plan",
    "interests",
    "consent",
    "sms_consent",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
)
UTM_FIELDS = FIELDS[-5:]
FIELD_LABELS = {
    "email": gettext_lazy("Email"),
    "full_name": gettext_lazy("Nombre completo"),
    "phone": gettext_lazy("Teléfono"),
    "country": gettext_lazy("País"),
    "time_zone": gettext_lazy("Zona horaria"),
    "language": gettext_lazy("Idioma"),
    "plan": gettext_lazy("Plan"),
    "interests": gettext_lazy("Intereses"),
    "consent": gettext_lazy("Consentimiento"),
    "sms_consent": gettext_lazy("Consentimiento de SMS"),
    "__all__": gettext_lazy("Registro"),
}


def labelled_errors(errors):
    """[(label, [messages])] in form order, for emails and pages shown to people."""
    order = [*FIELDS, "__all__"]
    return [
        (str(FIELD_LABELS.get(name, name)), list(messages))
        for name, messages in sorted(
            (errors or {}).items(),
            key=lambda item: order.index(item[0]) if item[0] in order else 99,
        )
    ]


# Mail providers our students use: a near miss of one of their names, or of ".com" after
# one, is almost always a typo. Country variants (yahoo.com.ar, hotmail.es) are left alone.
MAIL_PROVIDERS = ("gmail", "hotmail", "outlook", "yahoo", "icloud", "live", "protonmail", "msn")
ONLY_DOT_COM = ("gmail",)
COM_TYPOS = ("con", "cmo", "cm", "co", "comm", "om", "vom", "xom", "ocm", "coom")
# Countries spanning several zones: the zone most of their people live in.
MAIN_TIME_ZONE = {
    "AR": "America/Argentina/Buenos_Aires",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "CL": "America/Santiago",
    "EC": "America/Guayaquil",
    "ES": "Europe/Madrid",
    "MX": "America/Mexico_City",
    "PT": "Europe/Lisbon",
    "US": "America/New_York",
}
LANGUAGE_ALIASES = {
    "español": "es",
    "espanol": "es",
    "spanish": "es",
    "castellano": "es",
    "english": "en",
    "inglés": "en",
    "ingles": "en",
    "português": "pt",
    "portugues": "pt",
    "portuguese": "pt",
    "portugués": "pt",
}
TRUE_WORDS = {"1", "true", "yes", "y", "si", "sí", "s", "x", "on", "acepto"}


@dataclass
class Cleaned:
    """The result of validation: clean values for the fields that passed, and errors."""

    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)

    def add_error(self, name, message):
        self.errors.setdefault(name, []).append(str(message))


def _text(value, limit=200):
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value)
    return " ".join(str(value).split())[:limit]


def suggest_domain(domain: str) -> str | None:
    """The provider domain `domain` is probably a typo of, e.g. gmial.com -> gmail.com."""
    name, _, suffix = domain.lower().partition(".")
    if name not in MAIL_PROVIDERS:
        match = difflib.get_close_matches(name, MAIL_PROVIDERS, n=1, cutoff=0.8)
        if not match:
            return None
        name = match[0]
    if suffix in COM_TYPOS or (name in ONLY_DOT_COM and suffix != "com"):
        suffix = "com"
    suggestion = f"{name}.{suffix}"
    return suggestion if suggestion != domain.lower() else None


def clean_email(value, result: Cleaned):
    raw = _text(value, 254)
    if not raw:
        result.add_error("email", _("El email es obligatorio."))
        return
    try:
        checked = validate_email(
            raw, check_deliverability=settings.STUDENTS_EMAIL_CHECK_DELIVERABILITY
        )
    except EmailUndeliverableError:
        # The library explains in English: the person reads what to check, in theirs.
        result.add_error(
            "email", _("El dominio de este email no recibe correo: revisa cómo está escrito.")
        )
        return
    except EmailNotValidError:
        result.add_error(
            "email", _("El email no es válido: escríbelo como nombre@dominio.com, sin espacios.")
        )
        return
    suggestion = suggest_domain(checked.domain)
    if suggestion:
        result.add_error(
            "email",
            _("¿Quisiste decir %(email)s? Revisa el dominio del email.")
            % {"email": f"{checked.local_part}@{suggestion}"},
        )
        return
    result.values["email"] = checked.normalized


def clean_country(value, result: Cleaned):
    raw = _text(value, 60)
    if not raw:
        return
    code = country_code(raw)
    if code is None:
        result.add_error(
            "country",
            _("País desconocido «%(country)s»: escribe su nombre o su código (MX, ES, AR).")
            % {"country": raw},
        )
        return
    result.values["country"] = code


def clean_phone(value, result: Cleaned):
    raw = _text(value, 40)
    if not raw:
        return
    country = result.values.get("country")
    try:
        number = phonenumbers.parse(phone_text(raw), country)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        if country:
            message = _("El teléfono no es válido para el país indicado.")
        else:
            message = _("El teléfono no es válido: inclúyelo con el prefijo del país (+52 ...).")
        result.add_error("phone", message)
        return
    result.values["phone"] = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if not country:
        region = phonenumbers.region_code_for_number(number)
        if region and region != "001":
            result.values["country"] = region


@lru_cache(maxsize=1)
def _first_zone_by_country():
    zones = {}
    table = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text()
    for line in table.splitlines():
        if line and not line.startswith("#"):
            code, _coordinates, zone = line.split("\t")[:3]
            zones.setdefault(code, zone)
    return zones


def time_zone_for_country(country: str) -> str | None:
    return MAIN_TIME_ZONE.get(country) or _first_zone_by_country().get(country)


def clean_time_zone(value, result: Cleaned):
    raw = _text(value, 64)
    if raw:
        zone = time_zone_name(raw)
        if zone is None:
            result.add_error(
                "time_zone",
                _("Zona horaria desconocida «%(zone)s» (p. ej. America/Mexico_City o Madrid).")
                % {"zone": raw},
            )
            return
        result.values["time_zone"] = zone
        return
    country = result.values.get("country")
    result.values["time_zone"] = (country and time_zone_for_country(country)) or (
        settings.TIME_ZONE
    )


def clean_language(value, result: Cleaned):
    raw = _text(value, 30).lower()
    if not raw:
        result.values["language"] = Language.SPANISH
        return
    code = LANGUAGE_ALIASES.get(raw, raw[:2] if len(raw) == 2 or raw[2:3] in "-_" else raw)
    if code not in Language.values:
        result.add_error("language", _("Idioma no disponible: usa es, en o pt."))
        return
    result.values["language"] = code


def submission_language(data) -> str:
    """The language a submission asked for (Spanish when missing or unknown): the one we
    write back to the person in, before there is a student with a language."""
    result = Cleaned()
    clean_language(data.get("language") if isinstance(data, dict) else None, result)
    return result.values.get("language", Language.SPANISH)


def plan_named(text, plans):
    """The plan `text` names: its slug or name (any case or accents), or, for a form's
    label such as "Plan Premium ⭐", the plan whose name it contains (the longest such)."""
    wanted = folded(text)
    if not wanted:
        return None
    for plan in plans:
        if wanted in (folded(plan.slug), folded(plan.name)):
            return plan
    padded = f" {wanted} "
    inside = [plan for plan in plans if folded(plan.name) and f" {folded(plan.name)} " in padded]
    return max(inside, key=lambda plan: len(plan.name)) if inside else None


def clean_plan(value, result: Cleaned, plans):
    raw = _text(value, 100)
    valid = ", ".join(plan.slug for plan in plans)
    if not raw:
        result.add_error("plan", _("Elige un plan: %(plans)s.") % {"plans": valid})
        return
    plan = plan_named(raw, plans)
    if plan is not None:
        result.values["plan"] = plan
        return
    result.add_error(
        "plan",
        _("Plan desconocido «%(plan)s». Planes válidos: %(plans)s.")
        % {"plan": raw, "plans": valid},
    )


def clean_interests(value):
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = value.replace(";", ",").split(",")
    if not isinstance(value, list | tuple):
        value = [value]
    interests = []
    for item in value:
        text = _text(item, 100)
        if text and text not in interests:
            interests.append(text)
    return interests[:20]


# What every door (form, Typeform, API, CSV) must show next to the SMS checkbox; stored
# with the student as the text they accepted.
SMS_CONSENT_TEXT = gettext_lazy(
    "Acepto recibir por SMS recordatorios de los webinars. Puedo darme de baja respondiendo STOP."
)


def clean_consent(value):
    if isinstance(value, bool):
        return value
    return _text(value, 20).lower() in TRUE_WORDS


def active_plans():
    return list(Plan.objects.filter(active=True).only("pk", "slug", "name", "price", "sort_order"))


def clean_registration(data, *, plans=None) -> Cleaned:
    """Validate `data` (the keys of FIELDS); returns clean values and errors per field."""
    result = Cleaned()
    if not isinstance(data, dict):
        result.add_error("__all__", _("Los datos del registro deben ser un objeto."))
        return result
    clean_email(data.get("email"), result)
    full_name = _text(data.get("full_name"))
    if full_name:
        result.values["full_name"] = full_name
    else:
        result.add_error("full_name", _("El nombre es obligatorio."))
    clean_country(data.get("country"), result)
    clean_phone(data.get("phone"), result)
    clean_time_zone(data.get("time_zone"), result)
    clean_language(data.get("language"), result)
    clean_plan(data.get("plan"), result, active_plans() if plans is None else plans)
    result.values["interests"] = clean_interests(data.get("interests"))
    result.values["consent"] = clean_consent(data.get("consent"))
    result.values["sms_consent"] = clean_consent(data.get("sms_consent"))
    for name in UTM_FIELDS:
        result.values[name] = _text(data.get(name), 100)
    return result


# Fields whose value must be one of a known set: a form's choice may carry several
# spellings of one answer (Typeform: the choice's ref, its label, what was typed in
# "Other") and the first one the field accepts is the answer.
_CHOICE_CLEANERS = {
    "country": clean_country,
    "time_zone": clean_time_zone,
    "language": clean_language,
}


def pick_answer(name, candidates, *, plans=None):
    """The first of `candidates` field `name` accepts; else the last one given, so the
    error the person sees names what they chose (a label, not an internal ref)."""
    candidates = [c for c in candidates if c not in (None, "")]
    if not candidates:
        return ""
    for candidate in candidates:
        result = Cleaned()
        if name == "plan":
            clean_plan(candidate, result, active_plans() if plans is None else plans)
        elif name in _CHOICE_CLEANERS:
            _CHOICE_CLEANERS[name](candidate, result)
        if not result.errors:
            return candidate
    return candidates[-1]
