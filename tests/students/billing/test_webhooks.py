from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail

from courseops.audit.services import history
from courseops.messaging.models import OutboundMessage
from courseops.webhooks.models import WebhookEvent
from students.models import Student, StudentMaterial, Subscription
from tests.students.billing.conftest import event, stripe_error

pytestmark = pytest.mark.django_db


def actions(obj):
    return [entry.action for entry in history(obj).order_by("pk")]


def checkout_session(*, session_id="cs_test_1", email="lucia@example.com", name="Lucía Pérez"):
    return {
        "id": session_id,
        "object": "checkout.session",
        "mode": "subscription",
        "status": "complete",
        "payment_status": "paid",
        "customer": "cus_1",
        "subscription": "sub_1",
        "customer_details": {
            "email": email,
            "name": name,
            "phone": "+52 55 1234 5678",
            "address": {"country": "MX"},
        },
        "metadata": {"plan": "basico", "utm_source": "instagram"},
    }


def test_checkout_completed_links_an_existing_student_and_mirrors_the_subscription(
    fake_stripe, lucia, deliver
):
    fake_stripe.set_subscription()

    deliver(event("checkout.session.completed", checkout_session(email="LUCIA@example.com")))

    lucia.refresh_from_db()
    assert lucia.stripe_customer_id == "cus_1"
    assert Student.objects.count() == 1
    sub = Subscription.objects.get()
    assert (sub.student, sub.plan.slug, sub.status) == (lucia, "basico", "active")
    assert sub.current_period_end.isoformat() == "2027-01-01T00:00:00+00:00"
    assert "students.student.stripe_linked" in actions(lucia)


def test_checkout_completed_for_a_new_person_creates_one_student_even_if_delivered_twice(
    fake_stripe, plans, deliver
):
    fake_stripe.set_subscription(email="")
    first = event("checkout.session.completed", checkout_session())

    deliver(first)
    assert deliver(first) == "duplicate"
    deliver(event("checkout.session.completed", checkout_session()))  # a new event, same session

    student = Student.objects.get()
    assert (student.email, student.full_name, student.source) == (
        "lucia@example.com",
        "Lucía Pérez",
        Student.Source.STRIPE,
    )
    assert student.stripe_customer_id == "cus_1"
    assert student.plan.slug == "basico"
    assert student.phone == "+525512345678"
    assert student.utm_source == "instagram"
    assert student.intake_records.get().external_id == "cs_test_1"
    assert student.onboarding_steps.count() == 6  # onboarding started, once
    assert student.status == Student.Status.ACTIVE  # pipeline done, subscription active
    assert Subscription.objects.get().student == student


def test_a_buyer_with_a_phone_that_does_not_parse_is_still_enrolled_without_it(
    fake_stripe, plans, deliver
):
    fake_stripe.set_subscription(email="")
    session = checkout_session()
    session["customer_details"]["phone"] = "12"

    deliver(event("checkout.session.completed", session))

    student = Student.objects.get()
    assert student.phone == ""
    assert Subscription.objects.get().student == student


def test_an_unpaid_checkout_waits_for_the_async_payment_event(fake_stripe, lucia, deliver):
    fake_stripe.set_subscription()
    pending = {**checkout_session(), "payment_status": "unpaid"}

    deliver(event("checkout.session.completed", pending))
    assert Subscription.objects.count() == 0

    deliver(
        event("checkout.session.async_payment_succeeded", {**pending, "payment_status": "paid"})
    )
    assert Subscription.objects.get().status == "active"


@pytest.fixture
def linked(lucia):
    Student.objects.filter(pk=lucia.pk).update(stripe_customer_id="cus_1")
    lucia.refresh_from_db()
    return lucia


def test_subscription_events_turn_access_on_change_plan_keep_it_past_due_and_cut_it_when_deleted(
    fake_stripe, linked, plans, deliver
):
    plans["premium"].materials.create(title="Curso avanzado")
    Student.objects.filter(pk=linked.pk).update(status=Student.Status.INACTIVE)

    deliver(event("customer.subscription.created", fake_stripe.set_subscription()))
    linked.refresh_from_db()
    assert linked.status == Student.Status.ACTIVE

    deliver(
        event("customer.subscription.updated", fake_stripe.set_subscription(price="price_premium"))
    )
    linked.refresh_from_db()
    assert linked.plan.slug == "premium"
    assert Subscription.objects.get().plan.slug == "premium"
    assert StudentMaterial.objects.filter(student=linked).count() == 1

    deliver(
        event(
            "customer.subscription.updated",
            fake_stripe.set_subscription(price="price_premium", status="past_due"),
        )
    )
    linked.refresh_from_db()
    assert linked.status == Student.Status.PAST_DUE

    deliver(
        event(
            "customer.subscription.deleted",
            fake_stripe.set_subscription(price="price_premium", status="canceled"),
        )
    )
    linked.refresh_from_db()
    assert linked.status == Student.Status.INACTIVE
    sub = Subscription.objects.get()
    assert actions(sub) == [
        "students.subscription.created",
        "students.subscription.plan_changed",
        "students.subscription.past_due",
        "students.subscription.canceled",
    ]
    assert actions(linked).count("students.student.access_changed") == 3


def test_the_payload_is_only_a_trigger_stripes_current_state_wins(fake_stripe, linked, deliver):
    current = fake_stripe.set_subscription(status="canceled")
    stale_payload = {**current, "status": "active"}

    deliver(event("customer.subscription.updated", stale_payload))

    linked.refresh_from_db()
    assert Subscription.objects.get().status == "canceled"
    assert linked.status == Student.Status.INACTIVE


def _final_state(student):
    student.refresh_from_db()
    sub = Subscription.objects.get()
    return (student.status, student.plan.slug, sub.status, sub.plan.slug)


@pytest.mark.parametrize("order", [("updated", "deleted"), ("deleted", "updated")])
def test_out_of_order_delivery_ends_in_the_same_state(fake_stripe, linked, deliver, order):
    # Stripe's state after both changes: moved to premium, then canceled.
    final = fake_stripe.set_subscription(price="price_premium", status="canceled")
    payloads = {
        "updated": {**final, "status": "active"},
        "deleted": final,
    }
    for name in order:
        deliver(event(f"customer.subscription.{name}", payloads[name]))

    assert _final_state(linked) == ("inactive", "basico", "canceled", "premium")


def test_an_older_reading_applied_late_does_not_overwrite_a_newer_one(fake_stripe, linked):
    from datetime import timedelta

    from django.utils import timezone

    from students.billing.services import apply_subscription
    from tests.students.billing.conftest import subscription

    now = timezone.now()
    apply_subscription(data=subscription(status="canceled"), read_at=now)
    apply_subscription(data=subscription(status="active"), read_at=now - timedelta(seconds=5))

    assert Subscription.objects.get().status == "canceled"
    linked.refresh_from_db()
    assert linked.status == Student.Status.INACTIVE


def test_a_subscription_event_before_checkout_waits_for_the_checkout_to_link_the_student(
    fake_stripe, plans, deliver
):
    fake_stripe.set_subscription(email="nadie@example.com")

    deliver(event("customer.subscription.created", fake_stripe.subscriptions["sub_1"]))

    assert Subscription.objects.count() == 0
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.PROCESSED


def test_a_subscription_with_an_unknown_price_fails_the_event_for_staff(
    fake_stripe, linked, deliver
):
    data = fake_stripe.set_subscription(price="price_desconocido", plan="")

    deliver(event("customer.subscription.created", data))

    stored = WebhookEvent.objects.get()
    assert stored.status == WebhookEvent.Status.FAILED
    assert "price_desconocido" in stored.last_error
    assert Subscription.objects.count() == 0


def test_stripe_unavailable_while_re_reading_retries_the_event_later(fake_stripe, linked, deliver):
    data = fake_stripe.set_subscription()
    fake_stripe.fail_next = [stripe_error(503, "unavailable", type_="api_error")]

    deliver(event("customer.subscription.created", data))

    stored = WebhookEvent.objects.get()
    assert stored.status == WebhookEvent.Status.RETRYING
    assert "503" in stored.last_error


def invoice(*, invoice_id="in_1", attempt=1, amount=2900):
    return {
        "id": invoice_id,
        "object": "invoice",
        "customer": "cus_1",
        "currency": "usd",
        "amount_due": amount,
        "attempt_count": attempt,
        "next_payment_attempt": 1_765_000_000,
        "hosted_invoice_url": "https://invoice.stripe.com/i/in_1",
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"subscription": "sub_1", "metadata": {}},
        },
    }


def test_a_failed_payment_sends_one_dunning_email_per_attempt_with_a_portal_link(
    fake_stripe, linked, deliver
):
    fake_stripe.set_subscription(status="past_due")

    deliver(event("invoice.payment_failed", invoice(attempt=1)))
    deliver(event("invoice.payment_failed", invoice(attempt=1)))  # same attempt, another event

    [message] = OutboundMessage.objects.all()
    assert message.recipient == "lucia@example.com"
    assert message.category == "billing"
    assert "https://billing.stripe.com/p/session/test_1" in message.text_body
    assert "https://billing.stripe.com/p/session/test_1" in message.html_body
    assert "https://ops.example.com/pago/portal/" in message.text_body  # a fresh one later
    assert "29,00 USD" in message.text_body  # money as everywhere: two decimals, half up
    assert "USD" in message.text_body
    [(params, headers)] = fake_stripe.requests("/v1/billing_portal/sessions")
    assert params["customer"] == "cus_1"
    assert headers["Idempotency-Key"] == "stripe-dunning:in_1:1"
    assert len(mail.outbox) == 1
    linked.refresh_from_db()
    assert linked.status == Student.Status.PAST_DUE  # access kept while Stripe retries

    deliver(event("invoice.payment_failed", invoice(attempt=2)))

    assert OutboundMessage.objects.count() == 2
    assert len(fake_stripe.requests("/v1/billing_portal/sessions")) == 2
    assert len(mail.outbox) == 2
    assert "students.subscription.payment_failed" in actions(linked)


def test_a_paid_invoice_after_a_decline_gives_access_back(fake_stripe, linked, deliver):
    fake_stripe.set_subscription(status="past_due")
    deliver(event("invoice.payment_failed", invoice()))

    fake_stripe.set_subscription(status="active")
    deliver(event("invoice.paid", invoice()))

    linked.refresh_from_db()
    assert linked.status == Student.Status.ACTIVE
    assert Subscription.objects.get().status == "active"


def test_a_second_live_subscription_keeps_access_when_one_is_canceled(
    fake_stripe, linked, plans, deliver
):
    deliver(event("customer.subscription.created", fake_stripe.set_subscription(id="sub_a")))
    deliver(
        event(
            "customer.subscription.created",
            fake_stripe.set_subscription(id="sub_b", price="price_premium"),
        )
    )

    deliver(
        event(
            "customer.subscription.deleted",
            fake_stripe.set_subscription(id="sub_a", status="canceled"),
        )
    )

    linked.refresh_from_db()
    assert linked.status == Student.Status.ACTIVE


def test_a_student_still_onboarding_is_left_for_the_pipeline_to_activate(
    fake_stripe, linked, deliver
):
    Student.objects.filter(pk=linked.pk).update(status=Student.Status.ONBOARDING)

    deliver(event("customer.subscription.created", fake_stripe.set_subscription()))

    linked.refresh_from_db()
    assert linked.status == Student.Status.ONBOARDING
    assert Subscription.objects.get().status == "active"


def test_the_mirror_keeps_stripes_start_and_end_dates_for_churn_and_retention(
    fake_stripe, linked, deliver
):
    started, ended = 1_788_220_800, 1_793_491_200  # 2026-09-01, 2026-11-01 (UTC)
    fake_stripe.set_subscription()
    fake_stripe.subscriptions["sub_1"]["start_date"] = started
    deliver(event("customer.subscription.created", fake_stripe.subscriptions["sub_1"]))
    sub = Subscription.objects.get()
    assert sub.started_at == datetime(2026, 9, 1, tzinfo=UTC)
    assert sub.ended_at is None

    fake_stripe.set_subscription(status="canceled")
    fake_stripe.subscriptions["sub_1"].update(start_date=started, ended_at=ended)
    deliver(event("customer.subscription.deleted", fake_stripe.subscriptions["sub_1"]))
    sub.refresh_from_db()
    assert sub.started_at == datetime(2026, 9, 1, tzinfo=UTC)
    assert sub.ended_at == datetime(2026, 11, 1, tzinfo=UTC)


def test_a_payload_without_stripes_dates_gets_the_reading_that_saw_it_start_and_end(
    fake_stripe, linked, deliver
):
    with time_machine.travel(datetime(2026, 10, 1, 9, tzinfo=UTC), tick=False):
        deliver(event("customer.subscription.created", fake_stripe.set_subscription()))
    with time_machine.travel(datetime(2026, 11, 2, 9, tzinfo=UTC), tick=False):
        deliver(
            event("customer.subscription.deleted", fake_stripe.set_subscription(status="canceled"))
        )
    with time_machine.travel(datetime(2026, 11, 3, 9, tzinfo=UTC), tick=False):
        deliver(
            event("customer.subscription.updated", fake_stripe.set_subscription(status="canceled"))
        )
    sub = Subscription.objects.get()
    assert sub.started_at == datetime(2026, 10, 1, 9, tzinfo=UTC)
    assert sub.ended_at == datetime(2026, 11, 2, 9, tzinfo=UTC)  # kept on later readings


def test_the_migration_dates_rows_mirrored_before_stripes_dates_were_kept(linked, plans):
    import importlib

    from django.apps import apps as django_apps

    migration = importlib.import_module("students.migrations.0006_subscription_lifetime")
    created, updated = datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 10, 5, tzinfo=UTC)
    for sub_id, status in [("sub_live", "active"), ("sub_gone", "canceled")]:
        Subscription.objects.create(
            student=linked, plan=plans["basico"], stripe_subscription_id=sub_id, status=status
        )
    Subscription.objects.update(created_at=created, updated_at=updated)
    migration.backfill(django_apps, None)
    dates = dict(Subscription.objects.values_list("stripe_subscription_id", "started_at"))
    assert dates == {"sub_live": created, "sub_gone": created}
    ended = dict(Subscription.objects.values_list("stripe_subscription_id", "ended_at"))
    assert ended == {"sub_live": None, "sub_gone": updated}
