# ruff: noqa: F811  (pytest fixtures imported from the billing tests)
"""Marketing hears the students' billing news through the real Stripe webhooks (faked
only at Stripe's HTTP API): checkout started scores, an expired checkout enters the
"checkout abandoned" sequences, a cancelled subscription churns the contact and enters
the win-back sequences until they buy again."""

import pytest

from marketing.models import Activity, Enrolment, Lead, Sequence, Stage, Step
from marketing.services.sequences import run_sequences
from students.billing.services import create_checkout_session
from students.models import Student
from tests.students.billing.conftest import (  # noqa: F401
    deliver,
    event,
    fake_stripe,
    lucia,
    plans,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def abandoned_sequence(db):
    return Sequence.objects.create(
        name="Carrito abandonado", trigger=Sequence.Trigger.CHECKOUT_ABANDONED
    )


@pytest.fixture
def win_back_sequence(db):
    sequence = Sequence.objects.create(name="Recuperación", trigger=Sequence.Trigger.WIN_BACK)
    Step.objects.create(sequence=sequence, position=1, kind=Step.Kind.WAIT, wait_days=3)
    return sequence


def expired_session(*, email="marta@example.com", session_id="cs_test_9"):
    return {
        "id": session_id,
        "object": "checkout.session",
        "mode": "subscription",
        "status": "expired",
        "payment_status": "unpaid",
        "customer_email": email,
        "customer_details": None,
        "metadata": {"plan": "premium"},
    }


def test_starting_a_checkout_scores_the_contact(fake_stripe, plans):
    create_checkout_session(plan=plans["premium"], email="Marta@Example.com")
    create_checkout_session(plan=plans["premium"])  # a link for nobody yet: no contact

    lead = Lead.objects.get()
    assert (lead.email, lead.last_source) == ("marta@example.com", "checkout")
    [activity] = Activity.objects.filter(lead=lead)
    assert (activity.action, activity.points) == ("checkout_started", 15)
    assert activity.ref == "checkout_started:checkout:cs_test_1"
    assert lead.score == 15


def test_an_expired_checkout_enters_the_abandoned_checkout_sequence_once(
    fake_stripe, plans, deliver, abandoned_sequence
):
    deliver(event("checkout.session.expired", expired_session()))
    deliver(event("checkout.session.expired", expired_session()))  # a new event, same session

    enrolment = Enrolment.objects.get()
    assert (enrolment.sequence, enrolment.lead.email) == (abandoned_sequence, "marta@example.com")
    assert enrolment.lead.stage == Stage.LEAD


def test_an_expired_checkout_of_someone_who_paid_another_way_or_gave_no_email_is_not_abandoned(
    fake_stripe, lucia, deliver, abandoned_sequence
):
    lucia.subscriptions.create(stripe_subscription_id="sub_1", plan=lucia.plan, status="active")

    deliver(event("checkout.session.expired", expired_session(email="lucia@example.com")))
    deliver(event("checkout.session.expired", expired_session(email="", session_id="cs_2")))

    assert not Enrolment.objects.exists()


def test_a_cancelled_subscription_churns_the_contact_and_wins_them_back_until_they_buy(
    fake_stripe, lucia, deliver, win_back_sequence
):
    Student.objects.filter(pk=lucia.pk).update(stripe_customer_id="cus_1")
    deliver(event("customer.subscription.created", fake_stripe.set_subscription()))
    lead = Lead.objects.create(email="lucia@example.com", student=lucia, stage=Stage.CUSTOMER)
    assert not Enrolment.objects.exists()

    cancelled = fake_stripe.set_subscription(status="canceled")
    deliver(event("customer.subscription.deleted", cancelled))
    deliver(event("customer.subscription.deleted", cancelled))  # a new event, same state

    lead.refresh_from_db()
    assert lead.stage == Stage.CHURNED
    enrolment = Enrolment.objects.get()
    assert enrolment.sequence == win_back_sequence
    run_sequences()  # the wait step: still churned, the win-back goes on
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.done_position) == (Enrolment.Status.ACTIVE, 1)

    deliver(event("customer.subscription.created", fake_stripe.set_subscription(id="sub_2")))
    lead.refresh_from_db()
    assert lead.stage == Stage.CUSTOMER
    Enrolment.objects.update(next_run_at=enrolment.enrolled_at)
    run_sequences()
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.GOAL


def test_a_cancelled_student_without_a_contact_gets_one_churned(
    fake_stripe, lucia, deliver, win_back_sequence
):
    Student.objects.filter(pk=lucia.pk).update(stripe_customer_id="cus_1")
    deliver(event("customer.subscription.created", fake_stripe.set_subscription()))
    Lead.objects.all().delete()

    deliver(event("customer.subscription.deleted", fake_stripe.set_subscription(status="canceled")))

    lead = Lead.objects.get()
    assert (lead.email, lead.student, lead.stage) == ("lucia@example.com", lucia, Stage.CHURNED)
    assert Enrolment.objects.get().lead == lead
