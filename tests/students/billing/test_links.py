import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from students.billing.services import create_checkout_session, portal_link
from students.models import Plan, Student, Subscription
from tests.students.billing.conftest import API_KEY, SITE_URL, stripe_error

pytestmark = pytest.mark.django_db


def test_a_checkout_link_asks_stripe_for_a_subscription_session_of_the_plans_price(
    fake_stripe, plans, api_client
):
    response = api_client.post(
        "/api/v1/checkout/", {"plan": "premium", "email": "Marta@Example.com"}, format="json"
    )

    assert response.status_code == 201
    assert response.json() == {"url": "https://checkout.stripe.com/c/pay/cs_test_1"}
    [(params, headers)] = fake_stripe.requests("/v1/checkout/sessions")
    # Unpaid, it expires 24 hours (STRIPE_CHECKOUT_EXPIRES_HOURS) from the request's window.
    expires_in = int(params.pop("expires_at")) - time.time()
    assert 24 * 3600 - 600 <= expires_in <= 24 * 3600
    assert params == {
        "mode": "subscription",
        "line_items[0][price]": "price_premium",
        "line_items[0][quantity]": "1",
        "success_url": f"{SITE_URL}/portal/?pago=ok",
        "cancel_url": f"{SITE_URL}/registro/",
        "metadata[plan]": "premium",
        "subscription_data[metadata][plan]": "premium",
        "subscription_data[metadata][email]": "Marta@Example.com",
        "customer_email": "Marta@Example.com",
        "allow_promotion_codes": "true",
    }
    assert headers["Authorization"] == f"Bearer {API_KEY}"
    assert headers["Idempotency-Key"].startswith("checkout-")


def test_the_same_checkout_request_twice_reuses_one_idempotency_key(fake_stripe, plans):
    create_checkout_session(plan=plans["basico"], email="marta@example.com")
    create_checkout_session(plan=plans["basico"], email="MARTA@example.com ")

    keys = {h["Idempotency-Key"] for _p, h in fake_stripe.requests("/v1/checkout/sessions")}
    assert len(keys) == 1


def test_a_returning_student_checks_out_as_their_existing_stripe_customer(
    fake_stripe, lucia, plans
):
    Student.objects.filter(pk=lucia.pk).update(stripe_customer_id="cus_lucia")

    create_checkout_session(plan=plans["premium"], email="LUCIA@example.com")

    [(params, _headers)] = fake_stripe.requests("/v1/checkout/sessions")
    assert params["customer"] == "cus_lucia"
    assert "customer_email" not in params


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"plan": "oro"}, "plan"), ({"plan": "basico", "email": "no-es-email"}, "email")],
)
def test_checkout_with_bad_input_answers_400_without_calling_stripe(
    fake_stripe, plans, api_client, payload, field
):
    response = api_client.post("/api/v1/checkout/", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()["errores"]
    assert fake_stripe.requests("/v1/checkout/sessions") == []


@pytest.mark.parametrize("change", [{"active": False}, {"stripe_price_id": ""}])
def test_checkout_for_an_inactive_plan_or_one_without_price_answers_400(
    fake_stripe, plans, api_client, change
):
    Plan.objects.filter(slug="basico").update(**change)

    response = api_client.post("/api/v1/checkout/", {"plan": "basico"}, format="json")

    assert response.status_code == 400
    assert "basico" in response.json()["detail"]
    assert fake_stripe.requests("/v1/checkout/sessions") == []


def test_stripe_down_answers_503_and_a_rejected_request_502(fake_stripe, plans, api_client):
    fake_stripe.fail_next = [
        stripe_error(500, "boom", type_="api_error"),
        stripe_error(400, "No such price: 'price_basico'", code="resource_missing"),
    ]

    first = api_client.post("/api/v1/checkout/", {"plan": "basico"}, format="json")
    second = api_client.post("/api/v1/checkout/", {"plan": "basico"}, format="json")

    assert first.status_code == 503
    assert second.status_code == 502
    assert "No such price" in second.json()["detail"]


def test_checkout_is_refused_clearly_when_stripe_is_not_configured(settings, plans, api_client):
    settings.STRIPE_SECRET_KEY = ""

    response = api_client.post("/api/v1/checkout/", {"plan": "basico"}, format="json")

    assert response.status_code == 502
    assert "STRIPE_SECRET_KEY" in response.json()["detail"]


def test_a_portal_link_is_created_for_the_students_customer_in_their_language(
    fake_stripe, lucia, api_client
):
    Student.objects.filter(pk=lucia.pk).update(stripe_customer_id="cus_lucia", language="pt")

    response = api_client.post(f"/api/v1/students/{lucia.pk}/billing-portal/")

    assert response.status_code == 201
    assert response.json()["url"].startswith("https://billing.stripe.com/p/session/")
    [(params, _headers)] = fake_stripe.requests("/v1/billing_portal/sessions")
    assert params == {
        "customer": "cus_lucia",
        "return_url": f"{SITE_URL}/portal/",
        "locale": "pt",
    }


def test_a_portal_link_for_a_student_without_stripe_customer_answers_400(
    fake_stripe, lucia, api_client
):
    response = api_client.post(f"/api/v1/students/{lucia.pk}/billing-portal/")
    missing = api_client.post("/api/v1/students/999999/billing-portal/")

    assert response.status_code == 400
    assert "lucia@example.com" in response.json()["detail"]
    assert missing.status_code == 404
    assert fake_stripe.requests("/v1/billing_portal/sessions") == []


def test_the_billing_api_is_for_staff_and_integrations_only(client, plans):
    response = client.post("/api/v1/checkout/", {"plan": "basico"}, content_type="application/json")

    assert response.status_code in (401, 403)


def test_the_plan_admin_action_shows_a_fresh_payment_link(fake_stripe, plans, client, staff_user):
    client.force_login(staff_user)

    response = client.post(
        "/admin/students/plan/",
        {"action": "payment_link", "_selected_action": [plans["basico"].pk]},
        follow=True,
    )

    assert "https://checkout.stripe.com/c/pay/cs_test_1" in response.content.decode()
    [(params, _headers)] = fake_stripe.requests("/v1/checkout/sessions")
    assert params["line_items[0][price]"] == "price_basico"
    assert "customer_email" not in params


def test_the_subscription_admin_action_shows_a_portal_link(
    fake_stripe, lucia, plans, client, staff_user
):
    Student.objects.filter(pk=lucia.pk).update(stripe_customer_id="cus_lucia")
    sub = Subscription.objects.create(
        student=lucia, plan=plans["basico"], stripe_subscription_id="sub_1", status="active"
    )
    client.force_login(staff_user)

    response = client.post(
        "/admin/students/subscription/",
        {"action": "portal_link", "_selected_action": [sub.pk]},
        follow=True,
    )

    assert "https://billing.stripe.com/p/session/test_1" in response.content.decode()


def _subscriptions(plans, count):
    for number in range(count):
        student = Student.objects.create(
            full_name=f"Alumno {number}",
            email=f"alumno{number}@example.com",
            plan=plans["basico"],
            source=Student.Source.STRIPE,
            status=Student.Status.ACTIVE,
        )
        Subscription.objects.create(
            student=student,
            plan=plans["basico"],
            stripe_subscription_id=f"sub_{number}",
            status="active",
        )


def test_the_subscription_list_loads_in_the_same_number_of_queries_at_2_and_20_rows(
    plans, client, staff_user
):
    client.force_login(staff_user)
    counts = []
    for total in (2, 20):
        Subscription.objects.all().delete()
        Student.objects.all().delete()
        _subscriptions(plans, total)
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/admin/students/subscription/")
        assert response.status_code == 200
        assert response.content.decode().count("alumno") >= total
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_the_emailed_portal_link_opens_a_fresh_portal_session_each_time(fake_stripe, lucia, client):
    Student.objects.filter(pk=lucia.pk).update(stripe_customer_id="cus_lucia")
    url = portal_link(student=lucia)
    assert url.startswith(f"{SITE_URL}/pago/portal/")
    path = url.removeprefix(SITE_URL)

    first = client.get(path)
    second = client.get(path)

    assert first.status_code == 302
    assert first["Location"] == "https://billing.stripe.com/p/session/test_1"
    assert second["Location"] == "https://billing.stripe.com/p/session/test_2"
    assert [p["customer"] for p, _h in fake_stripe.requests("/v1/billing_portal/sessions")] == [
        "cus_lucia",
        "cus_lucia",
    ]


def test_a_tampered_or_expired_portal_link_is_refused_with_a_page_not_a_500(
    fake_stripe, lucia, client
):
    Student.objects.filter(pk=lucia.pk).update(stripe_customer_id="cus_lucia")
    path = portal_link(student=lucia).removeprefix(SITE_URL)

    tampered = client.get(path[:-3] + "xyz/")
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        expired = client.get(path)

    assert tampered.status_code == 400
    assert expired.status_code == 400
    assert "ya no es válido" in expired.content.decode()
    assert fake_stripe.requests("/v1/billing_portal/sessions") == []


def test_the_portal_link_says_to_try_later_when_stripe_is_down(fake_stripe, lucia, client):
    Student.objects.filter(pk=lucia.pk).update(stripe_customer_id="cus_lucia")
    fake_stripe.fail_next = [stripe_error(503, "unavailable", type_="api_error")]

    response = client.get(portal_link(student=lucia).removeprefix(SITE_URL))

    assert response.status_code == 503
    assert "unos minutos" in response.content.decode()


def test_the_try_later_page_is_in_the_students_language(fake_stripe, lucia, client):
    Student.objects.filter(pk=lucia.pk).update(stripe_customer_id="cus_lucia", language="en")
    fake_stripe.fail_next = [stripe_error(503, "unavailable", type_="api_error")]

    response = client.get(portal_link(student=lucia).removeprefix(SITE_URL))

    assert response.status_code == 503
    assert "We couldn't open your billing portal" in response.content.decode()


def test_a_promotion_code_is_applied_up_front_instead_of_letting_the_buyer_type_one(
    fake_stripe, plans
):
    create_checkout_session(
        plan=plans["basico"],
        email="marta@example.com",
        promotion_code="promo_1",
        metadata={"offer": "4", "campaign": "9"},
    )
    create_checkout_session(plan=plans["basico"], email="marta@example.com")

    (with_code, _h1), (plain, _h2) = fake_stripe.requests("/v1/checkout/sessions")
    assert with_code["discounts[0][promotion_code]"] == "promo_1"
    assert "allow_promotion_codes" not in with_code  # Stripe rejects both together
    assert (with_code["metadata[offer]"], with_code["metadata[campaign]"]) == ("4", "9")
    assert with_code["metadata[plan]"] == "basico"
    assert plain["allow_promotion_codes"] == "true"
    assert not any(key.startswith("discounts") for key in plain)
    # Different requests, so different idempotency keys (Stripe would refuse a reuse).
    assert _h1["Idempotency-Key"] != _h2["Idempotency-Key"]


def test_a_checkout_retried_with_its_key_after_stripe_was_down_runs_again_then_replays(
    fake_stripe, plans, api_client
):
    """5xx answers are not kept (Stripe's rule): the retry reaches Stripe; the success is
    kept and replayed without a second session."""
    fake_stripe.fail_next = [stripe_error(500, "boom", type_="api_error")]
    key = {"Idempotency-Key": "checkout-ana-1"}

    down = api_client.post("/api/v1/checkout/", {"plan": "basico"}, format="json", headers=key)
    retry = api_client.post("/api/v1/checkout/", {"plan": "basico"}, format="json", headers=key)
    replay = api_client.post("/api/v1/checkout/", {"plan": "basico"}, format="json", headers=key)

    assert (down.status_code, retry.status_code, replay.status_code) == (503, 201, 201)
    assert replay.json() == retry.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert len(fake_stripe.requests("/v1/checkout/sessions")) == 2
