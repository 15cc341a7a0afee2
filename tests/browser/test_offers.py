"""A contact's personal offer link (/o/<token>/) in Chromium: the offer and the plans on
GET, Stripe Checkout with the code applied on the button (Stripe faked at HTTP)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from marketing.models import Lead
from marketing.offers.checkout import personal_link
from marketing.offers.models import Offer
from students.models import Plan
from tests.browser.conftest import assert_production_headers, stripe_checkout_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def offer():
    Plan.objects.create(
        slug="premium", name="Premium", price=Decimal("79"), stripe_price_id="price_premium"
    )
    return Offer.objects.create(
        name="Vuelta al cole",
        percent_off=Decimal("25"),
        duration=Offer.Duration.ONCE,
        code="VUELTA25",
        expires_at=timezone.now() + timedelta(days=30),
        headline="25 % en tu primer mes",
        text="Solo este mes.",
        status=Offer.Status.ACTIVE,
        stripe_coupon_id="coupon_1",
        stripe_promotion_code_id="promo_1",
    )


def test_a_contact_opens_a_personal_offer_and_pays_with_the_code_applied(
    page,
    offer,
    fake_stripe,
    settings,
    production_site,
    tmp_path,
):
    lead = Lead.objects.create(
        email="marta@example.com", name="Marta", first_source="api", last_source="api"
    )
    stripe_checkout_page(page)

    shown = page.goto(personal_link(offer=offer, lead=lead, campaign_id=7, step_id=None))
    assert_production_headers(shown)
    page.screenshot(path=tmp_path / "offer.png", full_page=True)
    assert page.get_by_text("VUELTA25").first.is_visible()
    assert fake_stripe.requests("/v1/checkout/sessions") == []
    page.get_by_role("button", name="Suscribirme al plan Premium con el descuento").click()
    page.get_by_role("heading", name="Stripe Checkout").wait_for()

    [(params, _headers)] = fake_stripe.requests("/v1/checkout/sessions")
    assert params["discounts[0][promotion_code]"] == "promo_1"
    assert (params["metadata[offer]"], params["metadata[campaign]"]) == (str(offer.pk), "7")
    assert params["customer_email"] == "marta@example.com"
