"""Moving in from Stripe: `manage.py import_stripe` mirrors every subscription, linked to
its student, and tells nobody.

The subscription is Stripe's own shape: stripe-mock's subscription fixture as kept in
tests/fixtures/vendors/stripe/customer.subscription.updated.json (see _build.py there for
its source), with the ids, status and price overridden. Listed with
`expand[]=data.customer`, Stripe puts the customer object in its place; the customer's
fields are those of Stripe's API reference (the Customer object: id, object, email, name,
metadata...). The list envelope is Stripe's ({"object": "list", "data", "has_more", "url"}),
paged with `starting_after`.
"""

import copy
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from werkzeug import Response

from courseops.audit.models import AuditEntry
from courseops.messaging.models import OutboundMessage
from students.models import Student, Subscription

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).parents[2] / "fixtures/vendors/stripe/customer.subscription.updated.json"
STRIPE_SUBSCRIPTION = json.loads(FIXTURE.read_text())["data"]["object"]


def customer(number, email):
    return {
        "id": f"cus_import_{number}",
        "object": "customer",
        "email": email,
        "name": None,
        "metadata": {},
        "created": 1_700_000_000,
        "livemode": False,
    }


def stripe_subscription(number, email, *, status="active", price="price_basico"):
    data = copy.deepcopy(STRIPE_SUBSCRIPTION)
    data.update(id=f"sub_import_{number}", status=status, customer=customer(number, email))
    data["metadata"] = {}
    data["cancel_at_period_end"] = False
    data["ended_at"] = 1_790_000_000 if status == "canceled" else None
    item = data["items"]["data"][0]
    item["price"] = {**item["price"], "id": price}
    return data


class SubscriptionList(list):
    """Stripe's subscriptions; `.requests` holds each list request's query."""


@pytest.fixture
def stripe_account(fake_stripe):
    """Stripe's subscriptions (any status), answered two per page."""
    account = SubscriptionList()
    seen = []

    def page(request):
        seen.append(request.args.to_dict(flat=False))
        after = request.args.get("starting_after")
        start = next((i + 1 for i, s in enumerate(account) if s["id"] == after), 0)
        data = account[start : start + 2]
        body = {
            "object": "list",
            "data": data,
            "has_more": start + 2 < len(account),
            "url": "/v1/subscriptions",
        }
        return Response(json.dumps(body), content_type="application/json")

    fake_stripe.server.expect_request("/v1/subscriptions", method="GET").respond_with_handler(page)
    account.requests = seen
    return account


@pytest.fixture
def account(stripe_account, plans, lucia):
    stripe_account += [
        stripe_subscription(1, "lucia@example.com", price="price_premium"),
        stripe_subscription(2, "Marta@Example.com", status="canceled"),
        stripe_subscription(3, "nadie@example.com"),
        stripe_subscription(4, "lucia@example.com", price="price_desconocido"),
    ]
    marta = Student.objects.create(
        full_name="Marta Gil",
        email="marta@example.com",
        plan=plans["basico"],
        status=Student.Status.ACTIVE,
        source=Student.Source.CSV,
        time_zone="Europe/Madrid",
    )
    return {"lucia": lucia, "marta": marta, "plans": plans}


def run(*args):
    out = StringIO()
    call_command("import_stripe", *args, stdout=out)
    return out.getvalue()


def test_a_dry_run_says_what_would_happen_and_stores_nothing(account, stripe_account):
    output = run("--dry-run")

    assert output.splitlines() == [
        "Stripe: 4 suscripciones leídas.",
        "Nuevas: 2 · actualizadas: 0 · sin cambios: 0 · alumnos vinculados a su cliente de "
        "Stripe: 2.",
        "Sin alumno en CourseOps (no se crea ninguno ni se escribe a nadie): nadie@example.com.",
        "Con un precio que ningún plan tiene (asígnalo en el plan y repite): sub_import_4.",
        "Prueba: no se guardó nada.",
    ]
    assert not Subscription.objects.exists()
    assert not Student.objects.exclude(stripe_customer_id="").exists()
    assert not AuditEntry.objects.exists()
    # Every status, customers expanded, page after page.
    assert stripe_account.requests[0]["status"] == ["all"]
    assert stripe_account.requests[0]["expand[0]"] == ["data.customer"]
    assert stripe_account.requests[1]["starting_after"] == ["sub_import_2"]


def test_an_import_mirrors_links_and_sets_access_telling_nobody(
    account, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        output = run()

    assert (
        "Nuevas: 2 · actualizadas: 0 · sin cambios: 0 · alumnos"
        " vinculados a su cliente de Stripe: 2." in output
    )
    lucia, marta = (Student.objects.get(pk=account[name].pk) for name in ("lucia", "marta"))
    assert lucia.stripe_customer_id == "cus_import_1"
    assert lucia.plan == account["plans"]["premium"]  # Stripe's price decides the plan
    assert marta.stripe_customer_id == "cus_import_2"
    assert marta.status == Student.Status.INACTIVE
    mirrored = Subscription.objects.get(stripe_subscription_id="sub_import_2")
    assert (mirrored.status, mirrored.ended_at.year) == ("canceled", 2026)
    assert not Student.objects.filter(email="nadie@example.com").exists()
    # History, not news: no email, no plan grant task, no cancellation follow-up.
    assert callbacks == []
    assert not OutboundMessage.objects.exists()
    assert AuditEntry.objects.filter(
        action="students.student.plan_changed", data__source="stripe_import"
    ).exists()


def test_a_second_import_changes_nothing(account):
    run()
    stored = list(Subscription.objects.values().order_by("pk"))
    entries = AuditEntry.objects.count()

    output = run()

    assert (
        "Nuevas: 0 · actualizadas: 0 · sin cambios: 2 · alumnos"
        " vinculados a su cliente de Stripe: 0." in output
    )
    assert list(Subscription.objects.values().order_by("pk")) == stored
    assert AuditEntry.objects.count() == entries


def test_a_change_in_stripe_since_the_last_import_is_an_update(account, stripe_account):
    run()
    stripe_account[0]["status"] = "past_due"

    output = run()

    assert "Nuevas: 0 · actualizadas: 1 · sin cambios: 1 ·" in output
    assert Student.objects.get(pk=account["lucia"].pk).status == Student.Status.PAST_DUE
