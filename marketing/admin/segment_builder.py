"""What the segment builder shows staff: every rule field and operator in Spanish (the
labels live beside the rules, `marketing.services.segments`, whose errors use them too),
and the values to pick from (stages, countries, plans, tags, webinars, campaigns...), so
no English id or free-typed code is needed. The stored rules keep their ids."""

from django.utils.translation import gettext_lazy as _
from django_countries import countries

from courseops.core.inputs import time_zone_choices
from marketing.models import Campaign, Purpose, Stage, Tag
from marketing.services.segments import FIELD_LABELS, FIELDS, OPERATOR_LABELS
from students.models import STRIPE_STATUSES, Language, Plan
from webinars.models import Webinar

# How many webinars and campaigns are offered to pick from (the newest).
RECENT = 100

# Yes/no fields read better as such than "es"/"no es".
YES_NO = {"is": _("sí, el"), "is_not": _("no, el")}
YES_NO_FIELDS = {"webinar_registered", "webinar_attended", "clicked_campaign"}
NUMBER_FIELDS = {"score", "inactive_days", "created_within_days"}


def _values(field):
    if field == "stage":
        return Stage.choices
    if field == "country":
        return list(countries)
    if field == "language":
        return Language.choices
    if field == "time_zone":
        # The select's groups flattened: ("UTC", "UTC") stands alone, regions hold lists.
        return [
            choice
            for value, label in time_zone_choices()
            for choice in (label if isinstance(label, list) else [(value, label)])
        ]
    if field == "plan":
        return list(Plan.objects.order_by("sort_order").values_list("slug", "name"))
    if field in ("tag", "interest"):
        names = Tag.objects.order_by("name").values_list("name", flat=True)
        return [(name, name) for name in names]
    if field == "consent":
        return Purpose.choices
    if field == "subscription_status":
        return STRIPE_STATUSES
    if field in ("webinar_registered", "webinar_attended"):
        webinars = Webinar.objects.order_by("-starts_at").values_list("pk", "title", "starts_at")
        return [
            (pk, f"{title} ({starts_at:%d/%m/%Y})") for pk, title, starts_at in webinars[:RECENT]
        ]
    if field == "clicked_campaign":
        return list(Campaign.objects.order_by("-pk").values_list("pk", "name")[:RECENT])
    return None


def builder_spec():
    """The builder's fields, in the order staff look for them, as JSON-ready data."""
    spec = []
    for field in FIELD_LABELS:
        ops, _build = FIELDS[field]
        op_labels = YES_NO if field in YES_NO_FIELDS else OPERATOR_LABELS
        values = _values(field)
        spec.append(
            {
                "name": field,
                "label": str(FIELD_LABELS[field]),
                "ops": [[op, str(op_labels[op])] for op in ops],
                "values": [[v, str(label)] for v, label in values] if values is not None else None,
                "number": field in NUMBER_FIELDS,
            }
        )
    return spec


def describe_rules(rules, spec=None):
    """The rules in a sentence: "Todas: Etapa es uno de Lead, Cliente; País es México"."""
    spec = {item["name"]: item for item in (spec or builder_spec())}

    def value_text(field, value):
        names = dict((str(v), label) for v, label in (spec[field]["values"] or []))
        values = value if isinstance(value, list) else [value]
        return ", ".join(names.get(str(v), str(v)) for v in values)

    def group(node):
        parts = []
        for item in node.get("conditions") or []:
            if "conditions" in item:
                parts.append(f"({group(item)})")
                continue
            field = spec.get(item.get("field"))
            if field is None:
                parts.append(str(item.get("field")))
                continue
            op = dict(field["ops"]).get(item.get("op"), item.get("op"))
            parts.append(f"{field['label']} {op} {value_text(field['name'], item.get('value'))}")
        joiner = _(" y ") if node.get("match", "all") == "all" else _(" o ")
        return str(joiner).join(parts)

    return group(rules or {}) or "-"
