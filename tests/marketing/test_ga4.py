"""Google Analytics 4: lead, checkout and payment conversions sent server-side by the
Measurement Protocol through the one HTTP client (faked with pytest-httpserver), only for
people who accepted measurement, with the landing page's GA client id; each conversion once;
the debug endpoint's validation messages shown to staff."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from werkzeug import Response

from marketing.analytics.models import Conversion
from marketing.analytics.services import send_conversion, send_due
from marketing.landing.models import LandingPage
from marketing.models import Consent, Lead, LeadForm, Purpose
from marketing.services.consent import withdraw_consent
from marketing.services.intake import checkout_started
from students.models import Plan, Student, Subscription

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parents[1] / "fixtures" / "vendors" / "ga4"
NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)


@pytest.fixture
def ga4(httpserver, settings):
    settings.GA4_MEASUREMENT_ID = "G-TEST123"
    settings.GA4_API_SECRET = "ga-secret"
    settings.GA4_API_BASE = httpserver.url_for("").rstrip("/")
    settings.GA4_TIMEOUT_SECONDS = 5
    httpserver.expect_request("/mp/collect", method="POST").respond_with_data("", status=204)
    return httpserver


@pytest.fixture
def page(db):
    form = LeadForm.objects.create(slug="landing-ia", name="Landing IA", newsletter_text="Sí")
    return LandingPage.objects.create(
        slug="ia-para-docentes",
        title="IA para docentes",
        headline="Prepara tus clases con IA",
        fields=["name"],
        form=form,
        published=True,
    )


def collected(server):
    return [
        (request.args.to_dict(), json.loads(request.data))
        for request, _response in server.log
        if request.path == "/mp/collect"
    ]


def sign_up(page, *, analytics, cookie="GA1.1.1234567890.1764000000"):
    visitor = Client()
    if cookie:
        visitor.cookies["_ga"] = cookie
    data = {"email": "marta@example.com", "name": "Marta Gil", "variant": "0"}
    if analytics:
        data["analytics_consent"] = "on"
    response = visitor.post(reverse("landing:page", args=[page.slug]), data)
    assert response.status_code == 303
    return Lead.objects.get(email="marta@example.com")


def test_a_landing_signup_with_measurement_accepted_is_a_lead_conversion_with_its_ga_client(
    ga4, page
):
    html = Client().get(reverse("landing:page", args=[page.slug])).content.decode()
    assert 'name="analytics_consent"' in html
    lead = sign_up(page, analytics=True)
    consent = Consent.objects.get(lead=lead, purpose=Purpose.ANALYTICS)
    assert consent.status == "granted"
    [conversion] = Conversion.objects.all()
    sent = send_conversion(pk=conversion.pk)

    [(query, body)] = collected(ga4)
    assert query == {"measurement_id": "G-TEST123", "api_secret": "ga-secret"}
    assert body["client_id"] == "1234567890.1764000000"
    assert body["consent"] == {"ad_user_data": "DENIED", "ad_personalization": "DENIED"}
    assert body["events"] == [
        {
            "name": "generate_lead",
            "params": {"source": "landing:landing-ia", "engagement_time_msec": 1},
        }
    ]
    assert sent.state == "sent"
    assert send_conversion(pk=conversion.pk) is None  # sent once


def test_without_measurement_consent_nothing_is_recorded_or_sent(ga4, page):
    sign_up(page, analytics=False)
    lead = Lead.objects.get()
    assert lead.ga_client_id == ""  # the _ga cookie came, but is not ours to keep
    checkout_started(email=lead.email, session_id="cs_test_1")
    assert not Conversion.objects.exists()
    assert collected(ga4) == []


def test_the_checkbox_is_not_offered_while_ga4_is_off(page):
    html = Client().get(reverse("landing:page", args=[page.slug])).content.decode()
    assert "analytics_consent" not in html


def test_checkout_and_payment_conversions_carry_the_plan_once_each(ga4, page):
    lead = sign_up(page, analytics=True)
    plan = Plan.objects.create(slug="pro", name="Pro", price="49.00", currency="USD")
    checkout_started(email=lead.email, session_id="cs_test_1", plan=plan)
    checkout_started(email=lead.email, session_id="cs_test_1", plan=plan)  # a repeat
    student = Student.objects.create(
        full_name="Marta Gil", email=lead.email, plan=plan, source="stripe"
    )
    Subscription.objects.create(
        student=student, plan=plan, stripe_subscription_id="sub_1", status="active", started_at=NOW
    )
    for conversion in Conversion.objects.order_by("pk"):
        send_conversion(pk=conversion.pk)

    events = [body["events"][0] for _query, body in collected(ga4)]
    items = [{"item_id": "pro", "item_name": "Pro", "price": 49.0}]
    assert events[1:] == [
        {
            "name": "begin_checkout",
            "params": {"currency": "USD", "value": 49.0, "items": items, "engagement_time_msec": 1},
        },
        {
            "name": "purchase",
            "params": {
                "currency": "USD",
                "value": 49.0,
                "items": items,
                "engagement_time_msec": 1,
                "transaction_id": "sub_1",
            },
        },
    ]
    assert collected(ga4)[2][1]["timestamp_micros"] == int(NOW.timestamp() * 1_000_000)


def test_a_withdrawn_consent_drops_what_was_not_sent_yet(ga4, page):
    lead = sign_up(page, analytics=True)
    withdraw_consent(lead=lead, purpose=Purpose.ANALYTICS, source="test")
    [conversion] = Conversion.objects.all()
    assert (conversion.state, conversion.client_id) == ("dropped", "")
    lead.refresh_from_db()
    assert lead.ga_client_id == ""
    send_due()
    assert send_conversion(pk=conversion.pk) is None
    assert collected(ga4) == []


def test_a_send_cut_off_after_it_left_is_not_sent_again_except_a_purchase(ga4, page, settings):
    lead = sign_up(page, analytics=True)
    ga4.clear()
    ga4.expect_request("/mp/collect").respond_with_handler(
        lambda request: __import__("time").sleep(1) or Response("", status=204)
    )
    settings.GA4_TIMEOUT_SECONDS = 0.2
    conversion = Conversion.objects.get(lead=lead)
    assert send_conversion(pk=conversion.pk).state == "uncertain"


def test_staff_see_the_debug_endpoints_validation_messages(ga4, page, django_user_model):
    sign_up(page, analytics=True)
    ga4.expect_request("/debug/mp/collect", method="POST").respond_with_response(
        Response(
            (FIXTURES / "debug_invalid_name.json").read_text(),
            content_type="application/json",
        )
    )
    analyst = django_user_model.objects.create_user("analista", is_staff=True, password="x")
    staff = Client()
    staff.force_login(analyst)
    changelist = reverse("admin:marketing_conversion_changelist")
    action = {
        "action": "check_with_debug_endpoint",
        "_selected_action": [Conversion.objects.get().pk],
    }
    assert staff.post(changelist, action).status_code == 403  # no permission to see them

    analyst.user_permissions.add(Permission.objects.get(codename="view_conversion"))
    staff.post(changelist, action, follow=True)  # may read them, not spend our API secret
    assert [r for r, _a in ga4.log if r.path == "/debug/mp/collect"] == []

    analyst.user_permissions.add(Permission.objects.get(codename="change_conversion"))
    response = staff.post(changelist, action, follow=True)

    text = response.content.decode()
    assert "NAME_INVALID" in text
    assert "has invalid name [_badEventName]" in text
    assert "ga-secret" not in text
    [(request, _answer)] = [(r, a) for r, a in ga4.log if r.path == "/debug/mp/collect"]
    assert json.loads(request.data)["events"][0]["name"] == "generate_lead"


@pytest.mark.parametrize(
    ("role", "may_validate"),
    [("support", False), ("content", False), ("marketing", True), ("admin", True)],
)
def test_only_roles_that_act_on_marketing_ask_googles_debug_endpoint(
    ga4, page, django_user_model, role, may_validate
):
    from django.contrib.auth.models import Group

    sign_up(page, analytics=True)
    ga4.expect_request("/debug/mp/collect", method="POST").respond_with_json(
        {"validationMessages": []}
    )
    user = django_user_model.objects.create_user(f"role-{role}", is_staff=True, password="x")
    user.groups.add(Group.objects.get(name=role))
    staff = Client()
    staff.force_login(user)

    staff.post(
        reverse("admin:marketing_conversion_changelist"),
        {"action": "check_with_debug_endpoint", "_selected_action": [Conversion.objects.get().pk]},
    )

    asked = [r for r, _a in ga4.log if r.path == "/debug/mp/collect"]
    assert bool(asked) is may_validate


def test_a_returning_contact_with_measurement_accepted_before_keeps_the_new_client_id(ga4, page):
    sign_up(page, analytics=True, cookie="GA1.1.111.222")
    lead = sign_up(page, analytics=False, cookie="GA1.1.333.444")
    assert lead.ga_client_id == "333.444"


def test_a_send_whose_worker_died_is_retaken_only_for_a_purchase(
    ga4, page, django_capture_on_commit_callbacks
):
    import os
    import socket

    lead = sign_up(page, analytics=True)
    plan = Plan.objects.create(slug="pro", name="Pro", price="49.00", currency="USD")
    student = Student.objects.create(
        full_name="Marta Gil", email=lead.email, plan=plan, source="stripe"
    )
    Subscription.objects.create(
        student=student, plan=plan, stripe_subscription_id="sub_1", status="active", started_at=NOW
    )
    dead = f"{socket.gethostname()}:{2**22 + os.getpid() % 1000}"
    Conversion.objects.update(state="sending", held_by=dead)

    with django_capture_on_commit_callbacks(execute=True):
        send_due()

    states = dict(Conversion.objects.values_list("event", "state"))
    assert states == {"generate_lead": "uncertain", "purchase": "sent"}
    assert not Conversion.objects.exclude(held_by="").exists()
    assert [body["events"][0]["name"] for _query, body in collected(ga4)] == ["purchase"]
