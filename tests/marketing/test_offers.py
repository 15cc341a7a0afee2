"""Offers: AI text for a segment through review; approval creates the Stripe coupon and
promotion code (the real SDK against a local fake of Stripe); redemptions come back from
Stripe's events in the webhook inbox, once each."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from werkzeug import Response

from courseops.reviews.models import Draft
from courseops.reviews.services import approve_draft
from marketing.models import Lead, Segment
from marketing.offers.models import Offer, OfferRedemption
from marketing.offers.services import draft_offer, record_redemptions
from marketing.tasks import record_offer_redemptions
from tests.students.billing.conftest import event, stripe_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def stripe_offers(fake_stripe):
    """Coupons and promotion codes on the fake Stripe, answering like Stripe does."""
    created = {"coupons": [], "promotion_codes": []}

    def coupon(request):
        if fake_stripe.fail_next:
            return fake_stripe.fail_next.pop(0)
        created["coupons"].append(request.form.to_dict())
        body = {"id": f"coupon_{len(created['coupons'])}", "object": "coupon"}
        return Response(json.dumps(body), content_type="application/json")

    def promotion(request):
        created["promotion_codes"].append(request.form.to_dict())
        body = {
            "id": f"promo_{len(created['promotion_codes'])}",
            "object": "promotion_code",
            "code": request.form["code"],
        }
        return Response(json.dumps(body), content_type="application/json")

    fake_stripe.server.expect_request("/v1/coupons", method="POST").respond_with_handler(coupon)
    fake_stripe.server.expect_request("/v1/promotion_codes", method="POST").respond_with_handler(
        promotion
    )
    return created


@pytest.fixture
def offer(db):
    segment = Segment.objects.create(
        name="Asistentes sin compra", description="Vinieron al webinar"
    )
    return Offer.objects.create(
        name="Vuelta al cole",
        segment=segment,
        percent_off=Decimal("25"),
        duration=Offer.Duration.REPEATING,
        duration_in_months=3,
        code="VUELTA25",
        max_redemptions=100,
        expires_at=datetime(2026, 12, 31, tzinfo=UTC),
    )


def approve(draft, user, capture, **edits):
    with capture(execute=True):
        approve_draft(draft=draft, user=user, **edits)
    return Draft.objects.get(pk=draft.pk)


def test_the_ai_text_cites_the_discount_and_code_and_nothing_is_in_stripe_before_approval(
    offer, stripe_offers
):
    draft = draft_offer(offer=offer)

    assert draft.kind == "offer"
    assert "VUELTA25" in draft.body
    assert "25 % durante 3 meses" in draft.body
    assert "Asistentes sin compra" in draft.body
    assert stripe_offers == {"coupons": [], "promotion_codes": []}


def test_approval_creates_the_coupon_and_the_promotion_code_once(
    offer, stripe_offers, fake_stripe, staff_user, django_capture_on_commit_callbacks
):
    draft = approve(
        draft_offer(offer=offer),
        staff_user,
        django_capture_on_commit_callbacks,
        body="¡25 % con VUELTA25!",
    )

    offer.refresh_from_db()
    assert draft.status == "applied"
    assert (offer.status, offer.text) == ("active", "¡25 % con VUELTA25!")
    assert (offer.stripe_coupon_id, offer.stripe_promotion_code_id) == ("coupon_1", "promo_1")
    assert stripe_offers["coupons"] == [
        {
            "duration": "repeating",
            "duration_in_months": "3",
            "name": "Vuelta al cole",
            "metadata[offer]": str(offer.pk),
            "percent_off": "25.0",
        }
    ]
    assert stripe_offers["promotion_codes"] == [
        {
            "promotion[type]": "coupon",
            "promotion[coupon]": "coupon_1",
            "code": "VUELTA25",
            "metadata[offer]": str(offer.pk),
            "max_redemptions": "100",
            "expires_at": str(int(datetime(2026, 12, 31, tzinfo=UTC).timestamp())),
        }
    ]
    [(_p, headers)] = fake_stripe.requests("/v1/coupons")
    assert headers["Idempotency-Key"] == f"offer-{offer.pk}-coupon"


def test_a_stripe_outage_fails_the_draft_for_a_retry_that_creates_each_object_once(
    offer, stripe_offers, fake_stripe, staff_user, django_capture_on_commit_callbacks
):
    from courseops.reviews.services import retry_draft

    fake_stripe.fail_next.append(stripe_error(400, "Invalid percent_off"))
    draft = approve(draft_offer(offer=offer), staff_user, django_capture_on_commit_callbacks)
    assert draft.status == "failed"
    assert "Invalid percent_off" in draft.last_error

    with django_capture_on_commit_callbacks(execute=True):
        retry_draft(draft=draft, user=staff_user)

    offer.refresh_from_db()
    assert offer.status == "active"
    assert len(stripe_offers["coupons"]) == 1
    assert len(stripe_offers["promotion_codes"]) == 1


@pytest.fixture
def active_offer(offer):
    offer.status, offer.stripe_coupon_id, offer.stripe_promotion_code_id = (
        "active",
        "coupon_1",
        "promo_1",
    )
    offer.save()
    return offer


def session(*, discounts, email="marta@example.com", subscription="sub_1"):
    return {
        "id": "cs_test_9",
        "object": "checkout.session",
        "mode": "subscription",
        "payment_status": "paid",
        "customer_details": {"email": email},
        "subscription": subscription,
        "currency": "usd",
        "discounts": discounts,
        "total_details": {"amount_discount": 1975},
    }


def test_a_checkout_with_the_code_is_a_redemption_counted_once_with_its_first_invoice(
    active_offer, deliver, fake_stripe
):
    Lead.objects.create(email="marta@example.com", first_source="api", last_source="api")
    fake_stripe.set_subscription(id="sub_1")
    with time_machine.travel(datetime(2026, 11, 25, 12, 0, tzinfo=UTC), tick=False) as clock:
        deliver(
            event(
                "checkout.session.completed",
                session(discounts=[{"coupon": "coupon_1", "promotion_code": "promo_1"}]),
            )
        )
        deliver(
            event(
                "invoice.paid",
                {
                    "id": "in_1",
                    "object": "invoice",
                    "subscription": "sub_1",
                    "customer_email": "marta@example.com",
                    "currency": "usd",
                    "discount": {
                        "source": {"type": "coupon", "coupon": "coupon_1"},
                        "promotion_code": "promo_1",
                    },
                    "total_discount_amounts": [{"amount": 1975, "discount": "di_1"}],
                },
            )
        )
        deliver(
            event(
                "checkout.session.completed",
                session(discounts=[], email="otro@example.com", subscription="sub_2"),
            )
        )
        assert record_redemptions() == []  # too fresh: a lower id may still be committing
        clock.shift(timedelta(minutes=1))
        record_offer_redemptions()
        record_offer_redemptions()

    redemption = OfferRedemption.objects.get()
    assert (redemption.offer, redemption.email, redemption.redeemed_by) == (
        active_offer,
        "marta@example.com",
        "sub_1",
    )
    assert (redemption.amount_discount, redemption.currency) == (1975, "USD")
    assert redemption.lead.email == "marta@example.com"


def test_an_invoice_discount_of_another_coupon_is_not_this_offers(
    active_offer, deliver, fake_stripe
):
    with time_machine.travel(datetime(2026, 11, 25, 12, 0, tzinfo=UTC), tick=False) as clock:
        deliver(
            event(
                "invoice.paid",
                {
                    "id": "in_2",
                    "object": "invoice",
                    "subscription": "sub_9",
                    "discount": {"source": {"type": "coupon", "coupon": "coupon_other"}},
                },
            )
        )
        clock.shift(timedelta(minutes=1))
        record_redemptions()

    assert not OfferRedemption.objects.exists()


def test_an_offer_deleted_before_its_approval_says_so_in_the_staff_language():
    from django.utils import translation

    from courseops.reviews.registry import ApplyError
    from marketing.offers.services import offer_apply

    with translation.override("en"), pytest.raises(ApplyError) as raised:
        offer_apply(Draft(kind="offer", object_id="999999"), None)

    assert str(raised.value) == "The offer no longer exists."
    assert raised.value.permanent
