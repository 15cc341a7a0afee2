"""The segment builder speaks Spanish and offers values to pick; rules read as words."""

import json
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from marketing.admin.segment_builder import builder_spec, describe_rules
from marketing.models import Segment, Tag
from students.models import Plan
from webinars.models import Webinar

pytestmark = pytest.mark.django_db


def test_every_field_and_operator_has_a_spanish_label_and_pickable_values():
    Plan.objects.create(slug="premium", name="Premium")
    Tag.objects.create(name="feria")
    webinar = Webinar.objects.create(
        title="IA para tu negocio", starts_at=datetime(2026, 12, 10, 18, tzinfo=UTC)
    )
    spec = {item["name"]: item for item in builder_spec()}

    assert spec["stage"]["label"] == "Etapa"
    assert spec["stage"]["ops"][2] == ["in", "es uno de"]
    assert ["customer", "Cliente"] in spec["stage"]["values"]
    assert ["MX", "México"] in spec["country"]["values"]
    assert ["premium", "Premium"] in spec["plan"]["values"]
    assert ["feria", "feria"] in spec["tag"]["values"]
    assert spec["webinar_attended"]["values"] == [[webinar.pk, "IA para tu negocio (10/12/2026)"]]
    assert spec["inactive_days"] == {
        "name": "inactive_days",
        "label": "Días sin actividad",
        "ops": [["gte", "al menos"]],
        "values": None,
        "number": True,
    }
    # No operator id is left as its own label.
    assert all(label != op for item in spec.values() for op, label in item["ops"])


def test_rules_read_as_a_sentence():
    rules = {
        "match": "all",
        "conditions": [
            {"field": "stage", "op": "in", "value": ["lead", "customer"]},
            {
                "match": "any",
                "conditions": [
                    {"field": "country", "op": "is", "value": "MX"},
                    {"field": "inactive_days", "op": "gte", "value": 30},
                ],
            },
        ],
    }

    assert describe_rules(rules) == (
        "Etapa es uno de Lead, Cliente y (País es México o Días sin actividad al menos 30)"
    )


def test_marketing_staff_see_the_builder_data_and_the_rules_in_words(client, django_user_model):
    user = django_user_model.objects.create_user(username="marta", password="x", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_segment", "change_segment"])
    )
    segment = Segment.objects.create(
        name="México",
        rules={"match": "all", "conditions": [{"field": "country", "op": "is", "value": "MX"}]},
    )
    client.force_login(user)

    page = client.get(reverse("admin:marketing_segment_change", args=[segment.pk])).content.decode()

    assert "País es México" in page
    data = page.split('<script id="segment-fields" type="application/json">')[1].split("</script>")[
        0
    ]
    assert json.loads(data)[0]["label"] == "Etapa"
