"""Stripe's events (tests/fixtures/vendors/stripe: stripe-mock's objects, the current API
shape) through /webhooks/stripe/, in the order a subscription lives them."""

import pytest

from courseops.webhooks.models import WebhookEvent
from students.models import Plan, Student
from tests.fixtures.vendors import load

LIFE = [
    "checkout.session.completed",
    "customer.subscription.created",
    "invoice.paid",
    "customer.subscription.updated",
    "invoice.payment_failed",
    "customer.subscription.deleted",
]
SUBSCRIPTION = "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw"


@pytest.fixture
def stripe_plan(fake_stripe, db):
    plan = Plan.objects.create(
        slug="pro", name="Pro", price=20, stripe_price_id="price_1PgafmB7WZ01zgkW6dKueIc5"
    )
    # Stripe's current state, as the events re-read it.
    fake_stripe.subscriptions[SUBSCRIPTION] = load("stripe", "customer.subscription.updated")[
        "data"
    ]["object"]
    return plan


def test_every_stripe_event_of_the_corpus_is_processed_in_a_subscriptions_life(
    fake_stripe, stripe_plan, deliver
):
    statuses = {}
    for name in LIFE:
        if name == "customer.subscription.deleted":
            fake_stripe.subscriptions[SUBSCRIPTION] = load("stripe", name)["data"]["object"]
        statuses[name] = deliver(load("stripe", name))

    assert set(statuses.values()) == {"received"}
    failed = WebhookEvent.objects.exclude(status=WebhookEvent.Status.PROCESSED)
    assert list(failed.values_list("event_type", "last_error")) == []
    student = Student.objects.get()
    assert (student.email, student.full_name, student.plan) == (
        "laura@example.com",
        "Laura Example",
        stripe_plan,
    )
    assert student.stripe_customer_id == "cus_QXg1o8vcGmoR32"
    assert student.subscriptions.get().status == "canceled"
    assert student.status == Student.Status.INACTIVE


@pytest.mark.parametrize("name", LIFE)
def test_a_repeated_stripe_event_of_the_corpus_is_stored_once(
    fake_stripe, stripe_plan, deliver, name
):
    deliver(load("stripe", "checkout.session.completed"))
    assert deliver(load("stripe", name)) in ("received", "duplicate")
    assert deliver(load("stripe", name)) == "duplicate"
