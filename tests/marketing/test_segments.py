"""Segments compile to one query whose count equals what a hand-written query finds."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courseops.messaging.services import suppress
from marketing.models import Consent, Lead, Segment, Stage, Tag
from marketing.services.scoring import record_action
from marketing.services.segments import compile_rules, count_rules, segment_leads
from students.models import Plan, Student, Subscription
from webinars.models import Registration, Webinar

pytestmark = pytest.mark.django_db


def lead(email, **fields):
    fields.setdefault("first_source", "api")
    fields.setdefault("last_source", "api")
    return Lead.objects.create(email=email, **fields)


def consent(contact, purpose="newsletter_email", status="granted"):
    return Consent.objects.create(
        lead=contact,
        purpose=purpose,
        status=status,
        source="api",
        text="x",
        requested_at=timezone.now(),
    )


@pytest.fixture
def people(db):
    plan = Plan.objects.create(slug="pro", name="Pro")
    student = Student.objects.create(
        full_name="Carla", email="carla@example.com", plan=plan, source="api"
    )
    Subscription.objects.create(
        student=student, plan=plan, stripe_subscription_id="sub_1", status="past_due"
    )
    webinar = Webinar.objects.create(title="IA", starts_at=timezone.now())
    ana = lead("ana@example.com", stage=Stage.LEAD, country="MX")
    beto = lead("beto@example.com", stage=Stage.WEBINAR_REGISTRANT, country="ES")
    carla = lead("carla@example.com", stage=Stage.CUSTOMER, student=student, country="MX")
    dani = lead("dani@example.com", stage=Stage.SUBSCRIBER, country="AR")
    for contact in (ana, beto, carla):
        consent(contact)
    consent(dani, status="pending")
    suppress(channel="email", address="beto@example.com", reason="unsubscribed")
    feria = Tag.objects.create(name="feria")
    ana.tags.add(feria)
    dani.interests.add(feria)
    record_action(lead=ana, action="webinar_attended", ref="x")
    record_action(lead=beto, action="clicked", ref="campaign:7")
    Registration.objects.create(
        webinar=webinar, email="beto@example.com", source="page", attended=True
    )
    Lead.objects.filter(pk=dani.pk).update(last_seen_at=timezone.now() - timedelta(days=90))
    return {"ana": ana, "beto": beto, "carla": carla, "dani": dani, "webinar": webinar}


def emails(rules):
    return sorted(Lead.objects.filter(compile_rules(rules)).values_list("email", flat=True))


def names(*people):
    return sorted(f"{p}@example.com" for p in people)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"field": "stage", "op": "in", "value": ["lead", "customer"]}, ("ana", "carla")),
        ({"field": "country", "op": "is_not", "value": "MX"}, ("beto", "dani")),
        ({"field": "email", "op": "starts_with", "value": "CA"}, ("carla",)),
        ({"field": "score", "op": "gte", "value": 10}, ("ana",)),
        ({"field": "score", "op": "lt", "value": 1}, ("carla", "dani")),
        ({"field": "tag", "op": "has", "value": "feria"}, ("ana",)),
        ({"field": "interest", "op": "has", "value": "feria"}, ("dani",)),
        ({"field": "tag", "op": "has_not", "value": "feria"}, ("beto", "carla", "dani")),
        ({"field": "consent", "op": "valid", "value": "newsletter_email"}, ("ana", "carla")),
        ({"field": "plan", "op": "is", "value": "pro"}, ("carla",)),
        ({"field": "subscription_status", "op": "in", "value": ["past_due"]}, ("carla",)),
        ({"field": "clicked_campaign", "op": "is", "value": 7}, ("beto",)),
        ({"field": "inactive_days", "op": "gte", "value": 30}, ("dani",)),
    ],
)
def test_each_condition_finds_what_a_hand_written_query_finds(people, condition, expected):
    assert emails({"match": "all", "conditions": [condition]}) == names(*expected)


def test_behaviour_on_a_webinar(people):
    webinar = people["webinar"].pk
    attended = {"field": "webinar_attended", "op": "is", "value": webinar}
    not_registered = {"field": "webinar_registered", "op": "is_not", "value": webinar}

    assert emails({"conditions": [attended]}) == names("beto")
    assert emails({"conditions": [not_registered]}) == names("ana", "carla", "dani")


def test_and_or_groups_nest_and_count_in_one_query(people):
    rules = {
        "match": "all",
        "conditions": [
            {"field": "consent", "op": "valid", "value": "newsletter_email"},
            {
                "match": "any",
                "conditions": [
                    {"field": "tag", "op": "has", "value": "feria"},
                    {"field": "stage", "op": "is", "value": "customer"},
                ],
            },
        ],
    }
    hand_written = (
        Lead.objects.filter(consents__purpose="newsletter_email", consents__status="granted")
        .exclude(email__in=["beto@example.com"])
        .filter(pk__in=[people["ana"].pk, people["carla"].pk])
        .count()
    )

    with CaptureQueriesContext(connection) as queries:
        count = count_rules(rules)

    assert count == hand_written == 2
    assert len(queries) == 1


def test_a_static_list_is_its_members(people):
    segment = Segment.objects.create(name="VIP", kind=Segment.Kind.STATIC)
    segment.members.add(people["dani"], people["beto"])

    assert sorted(segment_leads(segment).values_list("email", flat=True)) == names("beto", "dani")


@pytest.mark.parametrize(
    "rules",
    [
        {"conditions": [{"field": "salary", "op": "is", "value": 1}]},
        {"conditions": [{"field": "score", "op": "contains", "value": 1}]},
        {"conditions": [{"field": "score", "op": "gte", "value": "alto"}]},
        {"match": "some", "conditions": []},
        {"conditions": [{"field": "consent", "op": "valid", "value": "fax"}]},
        ["not", "an", "object"],
    ],
)
def test_bad_rules_are_refused_with_a_message_in_the_admin_count(client, staff_user, rules):
    import json

    client.force_login(staff_user)
    response = client.post("/admin/marketing/segment/count/", {"rules": json.dumps(rules)})

    assert response.status_code == 400
    assert response.json()["error"]


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (
            {"field": "inactive_days", "op": "gte", "value": ""},
            "«Días sin actividad» necesita un número.",
        ),
        (
            {"field": "score", "op": "contains", "value": 1},
            "«contiene» no vale para «Puntuación» (elija: al menos, menos de).",
        ),
        (
            {"field": "webinar_attended", "op": "is", "value": "ayer"},
            "«Asistió al webinar» necesita un número.",
        ),
    ],
)
def test_rule_errors_name_fields_and_operators_as_the_builder_shows_them(
    client, staff_user, condition, message
):
    import json

    client.force_login(staff_user)
    rules = {"match": "all", "conditions": [condition]}
    response = client.post("/admin/marketing/segment/count/", {"rules": json.dumps(rules)})

    assert response.status_code == 400
    assert response.json()["error"] == message


def test_the_admin_live_count_and_the_saved_segment_show_the_members(people, client, staff_user):
    import json

    client.force_login(staff_user)
    rules = {"conditions": [{"field": "country", "op": "is", "value": "MX"}]}
    response = client.post("/admin/marketing/segment/count/", {"rules": json.dumps(rules)})
    assert response.json() == {"count": 2, "label": "2 contactos ahora"}

    response = client.post(
        "/admin/marketing/segment/add/",
        {"name": "México", "kind": "rules", "rules": json.dumps(rules)},
    )
    assert response.status_code == 302
    segment = Segment.objects.get()
    page = client.get(f"/admin/marketing/segment/{segment.pk}/change/").content.decode()
    assert "2 contactos ahora" in page
    assert "segment_count.js" in page
    assert "webinar_attended" in page  # the fields and operators staff can use

    bad = client.post(
        "/admin/marketing/segment/add/",
        {"name": "Mal", "kind": "rules", "rules": json.dumps({"conditions": [{"field": "x"}]})},
    )
    assert "Campo desconocido" in bad.content.decode()
