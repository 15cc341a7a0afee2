"""A landing page in Chromium: the form, its thank-you page and *Pagar el plan* up to
Stripe Checkout (Stripe faked at HTTP, the real SDK runs)."""

from decimal import Decimal

import pytest

from marketing.landing.models import LandingPage, LandingSignup
from marketing.models import Lead, LeadForm
from students.models import Plan
from tests.browser.conftest import assert_production_headers, stripe_checkout_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def plan_page():
    plan = Plan.objects.create(
        slug="premium", name="Premium", price=Decimal("79"), stripe_price_id="price_premium"
    )
    form = LeadForm.objects.create(slug="landing-premium", name="Premium", double_opt_in=False)
    return LandingPage.objects.create(
        slug="ia-para-docentes",
        title="IA para docentes",
        description="Prepara tus clases con IA.",
        headline="Prepara tus clases con IA",
        fields=["name"],
        form=form,
        plan=plan,
        published=True,
    )


def test_a_visitor_signs_up_on_a_landing_page_and_goes_on_to_stripe_checkout(
    page, plan_page, fake_stripe, tmp_path
):
    stripe_checkout_page(page)
    shown = page.goto("/l/ia-para-docentes/?utm_source=instagram&utm_campaign=otono")
    assert_production_headers(shown)
    page.screenshot(path=tmp_path / "landing.png", full_page=True)
    page.get_by_label("Nombre").fill("Marta Gil")
    page.get_by_label("Correo electrónico").fill("marta@example.com")
    page.get_by_role("button", name="Quiero apuntarme").click()
    page.get_by_role("heading", name="¡Gracias!").wait_for()
    page.screenshot(path=tmp_path / "landing-thanks.png", full_page=True)

    lead = Lead.objects.get(email="marta@example.com")
    signup = LandingSignup.objects.get(page=plan_page)
    assert (signup.lead, signup.utm["utm_source"]) == (lead, "instagram")

    page.get_by_role("button", name="Pagar el plan Premium").click()
    page.get_by_role("heading", name="Stripe Checkout").wait_for()

    assert page.url == "https://checkout.stripe.com/c/pay/cs_test_1"
    [(params, _headers)] = fake_stripe.requests("/v1/checkout/sessions")
    assert params["customer_email"] == "marta@example.com"
    assert params["line_items[0][price]"] == "price_premium"
    assert params["metadata[plan]"] == "premium"
