"""Segment rules -> one Django `Q` over contacts: every condition is a column comparison or
an EXISTS subquery, so counting or listing a segment is one SQL query whatever its size
(no Python loop over contacts).

Rules are JSON staff build in the admin:

    {"match": "all",                      # or "any"
     "conditions": [
        {"field": "stage", "op": "in", "value": ["lead", "webinar_registrant"]},
        {"field": "score", "op": "gte", "value": 20},
        {"field": "consent", "op": "valid", "value": "newsletter_email"},
        {"match": "any", "conditions": [   # a nested group
            {"field": "tag", "op": "has", "value": "feria"},
            {"field": "webinar_attended", "op": "is", "value": 12}]}]}

See FIELDS below for every field and its operators.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketing.models import STAGE_ORDER, Activity, Lead, Purpose, Segment
from marketing.services.consent import valid_consent
from students.models import Subscription
from webinars.models import Registration

TEXT_FIELDS = {
    "email": "email",
    "name": "name",
    "country": "country",
    "language": "language",
    "time_zone": "time_zone",
    "first_source": "first_source",
    "last_source": "last_source",
    "stage": "stage",
    "plan": "student__plan__slug",
    "utm_campaign": "first_utm__utm_campaign",
    "utm_source": "first_utm__utm_source",
}
TEXT_OPS = ("is", "is_not", "in", "not_in", "contains", "starts_with")

# What staff read for each field and operator, in the builder and in every error below.
FIELD_LABELS = {
    "stage": gettext_lazy("Etapa"),
    "email": gettext_lazy("Correo electrónico"),
    "name": gettext_lazy("Nombre"),
    "country": gettext_lazy("País"),
    "language": gettext_lazy("Idioma"),
    "time_zone": gettext_lazy("Zona horaria"),
    "first_source": gettext_lazy("Primer origen"),
    "last_source": gettext_lazy("Último origen"),
    "plan": gettext_lazy("Plan (si es estudiante)"),
    "utm_campaign": gettext_lazy("Campaña UTM de llegada"),
    "utm_source": gettext_lazy("Fuente UTM de llegada"),
    "score": gettext_lazy("Puntuación"),
    "tag": gettext_lazy("Etiqueta"),
    "interest": gettext_lazy("Interés"),
    "consent": gettext_lazy("Consentimiento"),
    "subscription_status": gettext_lazy("Estado de la suscripción"),
    "webinar_registered": gettext_lazy("Se inscribió al webinar"),
    "webinar_attended": gettext_lazy("Asistió al webinar"),
    "clicked_campaign": gettext_lazy("Hizo clic en la campaña"),
    "inactive_days": gettext_lazy("Días sin actividad"),
    "created_within_days": gettext_lazy("Llegó hace como mucho (días)"),
}
OPERATOR_LABELS = {
    "is": gettext_lazy("es"),
    "is_not": gettext_lazy("no es"),
    "in": gettext_lazy("es uno de"),
    "not_in": gettext_lazy("no es ninguno de"),
    "contains": gettext_lazy("contiene"),
    "starts_with": gettext_lazy("empieza por"),
    "gte": gettext_lazy("al menos"),
    "lt": gettext_lazy("menos de"),
    "lte": gettext_lazy("como mucho"),
    "has": gettext_lazy("tiene"),
    "has_not": gettext_lazy("no tiene"),
    "valid": gettext_lazy("vigente para"),
    "not_valid": gettext_lazy("sin vigencia para"),
}


def _field(field):
    return str(FIELD_LABELS.get(field, field))


def _text(field, op, value):
    column = TEXT_FIELDS[field]
    if op in ("in", "not_in"):
        values = value if isinstance(value, list) else [value]
        q = Q(**{f"{column}__in": [str(v) for v in values]})
        return ~q if op == "not_in" else q
    if not isinstance(value, str | int):
        raise ValidationError(_("«%(f)s» necesita un texto.") % {"f": _field(field)})
    lookup = {"is": "", "is_not": "", "contains": "__icontains", "starts_with": "__istartswith"}
    q = Q(**{f"{column}{lookup[op]}": str(value)})
    return ~q if op == "is_not" else q


def _number(value, field):
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(_("«%(f)s» necesita un número.") % {"f": _field(field)})
    return value


def _score(op, value, now):
    threshold = Lead.points_threshold(_number(value, "score"), now=now)
    return Q(score_points__gte=threshold) if op == "gte" else Q(score_points__lt=threshold)


def _label(through_field):
    def build(op, value, now):
        through = getattr(Lead, through_field).through
        q = Q(Exists(through.objects.filter(lead_id=OuterRef("pk"), tag__name=str(value))))
        return q if op == "has" else ~q

    return build


def _consent(op, value, now):
    if value not in Purpose.values:
        raise ValidationError(_("Finalidad desconocida: %(v)s") % {"v": value})
    q = valid_consent(value)
    return q if op == "valid" else ~q


def _subscription(op, value, now):
    statuses = value if isinstance(value, list) else [value]
    q = Q(Exists(Subscription.objects.filter(student=OuterRef("student"), status__in=statuses)))
    return q if op == "in" else ~q


def _webinar(attended):
    def build(op, value, now):
        field = "webinar_attended" if attended else "webinar_registered"
        registrations = Registration.objects.filter(
            webinar_id=int(_number(value, field)), email=OuterRef("email"), cancelled_at=None
        )
        if attended:
            registrations = registrations.filter(attended=True)
        q = Q(Exists(registrations))
        return q if op == "is" else ~q

    return build


def _clicked_campaign(op, value, now):
    ref = f"clicked:campaign:{int(_number(value, 'clicked_campaign'))}"
    q = Q(Exists(Activity.objects.filter(lead=OuterRef("pk"), ref=ref)))
    return q if op == "is" else ~q


def _inactive_days(op, value, now):
    return Q(last_seen_at__lt=now - timedelta(days=_number(value, "inactive_days")))


def _created_days(op, value, now):
    return Q(created_at__gte=now - timedelta(days=_number(value, "created_within_days")))


# field -> (operators, builder(op, value, now))
FIELDS = {
    **{field: (TEXT_OPS, None) for field in TEXT_FIELDS},
    "score": (("gte", "lt"), _score),
    "tag": (("has", "has_not"), _label("tags")),
    "interest": (("has", "has_not"), _label("interests")),
    "consent": (("valid", "not_valid"), _consent),
    "subscription_status": (("in", "not_in"), _subscription),
    "webinar_registered": (("is", "is_not"), _webinar(attended=False)),
    "webinar_attended": (("is", "is_not"), _webinar(attended=True)),
    "clicked_campaign": (("is", "is_not"), _clicked_campaign),
    "inactive_days": (("gte",), _inactive_days),
    "created_within_days": (("lte",), _created_days),
}


def _condition(rule, now):
    field, op, value = rule.get("field"), rule.get("op"), rule.get("value")
    if field not in FIELDS:
        raise ValidationError(_("Campo desconocido: %(f)s") % {"f": field})
    ops, build = FIELDS[field]
    if op not in ops:
        raise ValidationError(
            _("«%(op)s» no vale para «%(f)s» (elija: %(ops)s).")
            % {
                "op": OPERATOR_LABELS.get(op, op),
                "f": _field(field),
                "ops": ", ".join(str(OPERATOR_LABELS[o]) for o in ops),
            }
        )
    if field == "stage" and op in ("is", "is_not") and value not in STAGE_ORDER:
        raise ValidationError(_("Etapa desconocida: %(v)s") % {"v": value})
    return _text(field, op, value) if build is None else build(op, value, now)


def compile_rules(rules, *, now=None, depth=0) -> Q:
    """The `Q` for a rules group; raises ValidationError with a message staff can act on."""
    now = now or timezone.now()
    if not isinstance(rules, dict) or not isinstance(rules.get("conditions", []), list):
        raise ValidationError(_('Las reglas son {"match": "all"|"any", "conditions": [...]}.'))
    if depth > 5:
        raise ValidationError(_("Demasiados grupos anidados (máx. 5)."))
    match = rules.get("match", "all")
    if match not in ("all", "any"):
        raise ValidationError(_("«match» es «all» o «any»."))
    parts = []
    for rule in rules.get("conditions", []):
        if not isinstance(rule, dict):
            raise ValidationError(_("Cada condición es un objeto."))
        if "conditions" in rule:
            parts.append(compile_rules(rule, now=now, depth=depth + 1))
        else:
            parts.append(_condition(rule, now))
    if not parts:
        return Q()  # no conditions: everyone
    combined = parts[0]
    for part in parts[1:]:
        combined = (combined & part) if match == "all" else (combined | part)
    return combined


def segment_leads(segment: Segment, *, now=None):
    """The segment's contacts now, as one lazy queryset."""
    if segment.kind == Segment.Kind.STATIC:
        return Lead.objects.filter(static_segments=segment)
    return Lead.objects.filter(compile_rules(segment.rules, now=now))


def count_rules(rules, *, now=None) -> int:
    return Lead.objects.filter(compile_rules(rules, now=now)).count()
