"""An approved offer's code applied at Stripe Checkout: from a landing page that promotes
it and from a contact's personal link, with who sent the buyer in the session's metadata;
an offer that cannot be used any more leads to the normal price with a clear message.
Stripe is the local fake (the real SDK runs); we assert what it received."""

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from werkzeug import Response

from marketing.landing.models import LandingPage
from marketing.models import Lead, LeadForm
from marketing.offers.checkout import personal_link
from marketing.offers.models import Offer, OfferRedemption
from tests.students.billing.conftest import stripe_error

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1"
NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def offer(db):
    return Offer.objects.create(
        name="Vuelta al cole",
        percent_off=Decimal("25"),
        duration=Offer.Duration.ONCE,
        code="VUELTA25",
        max_redemptions=2,
        expires_at=NOW + timedelta(days=30),
        headline="25 % en tu primer mes",
        text="Solo este mes.",
        status=Offer.Status.ACTIVE,
        stripe_coupon_id="coupon_1",
        stripe_promotion_code_id="promo_1",
    )


@pytest.fixture
def page(offer, plans):
    form = LeadForm.objects.create(slug="landing-oferta", name="Oferta", double_opt_in=False)
    return LandingPage.objects.create(
        slug="oferta-ia",
        title="IA para docentes",
        description="Curso práctico.",
        headline="Prepara tus clases con IA",
        form=form,
        plan=plans["premium"],
        offer=offer,
        published=True,
    )


@pytest.fixture
def visitor():
    return Client(HTTP_USER_AGENT=BROWSER)


@pytest.fixture
def lead(db):
    return Lead.objects.create(
        email="marta@example.com", name="Marta Gil", first_source="api", last_source="api"
    )


def thanks_token(visitor, page):
    data = {"email": "marta@example.com", "name": "Marta", "consent": "on", "variant": "0"}
    location = visitor.post(reverse("landing:page", args=[page.slug]), data)["Location"]
    return location, location.split("?t=")[1]


def checkout_requests(fake_stripe):
    return [params for params, _headers in fake_stripe.requests("/v1/checkout/sessions")]


# --- Landing page -------------------------------------------------------------------------


def test_a_landing_page_that_promotes_an_offer_opens_checkout_with_its_code_applied(
    visitor, page, fake_stripe
):
    thanks_url, token = thanks_token(visitor, page)
    assert "El código VUELTA25 se aplica al pagar: 25 % en el primer pago." in (
        visitor.get(thanks_url).content.decode()
    )

    response = visitor.post(reverse("landing:checkout", args=[page.slug]), {"t": token})

    assert response.status_code == 303
    assert response["Location"] == "https://checkout.stripe.com/c/pay/cs_test_1"
    [params] = checkout_requests(fake_stripe)
    assert params["discounts[0][promotion_code]"] == "promo_1"
    assert "allow_promotion_codes" not in params  # Stripe refuses both together
    assert params["metadata[offer]"] == str(page.offer.pk)
    assert params["metadata[landing]"] == str(page.pk)
    assert params["metadata[plan]"] == "premium"
    assert params["customer_email"] == "marta@example.com"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": Offer.Status.ENDED}, "Esta oferta ya no está disponible."),
        ({"expires_at": NOW - timedelta(days=1)}, "Esta oferta caducó el 2026-11-24."),
        ("used_up", "Esta oferta ya se ha agotado."),
    ],
)
def test_a_landing_offer_that_ended_says_so_and_checkout_is_at_the_normal_price(
    visitor, page, offer, fake_stripe, change, message
):
    if change == "used_up":
        for n in (1, 2):
            OfferRedemption.objects.create(offer=offer, stripe_event_id=f"evt_{n}",
                                           redeemed_by=f"sub_{n}", at=NOW)  # fmt: skip
    else:
        Offer.objects.filter(pk=offer.pk).update(**change)
    assert "VUELTA25" not in visitor.get(reverse("landing:page", args=[page.slug])).content.decode()
    thanks_url, token = thanks_token(visitor, page)
    html = visitor.get(thanks_url).content.decode()
    assert f"{message} Pagarás el precio normal." in html
    assert '<input type="hidden" name="plain" value="1">' in html

    response = visitor.post(
        reverse("landing:checkout", args=[page.slug]), {"t": token, "plain": "1"}
    )

    assert response.status_code == 303
    [params] = checkout_requests(fake_stripe)
    assert params["allow_promotion_codes"] == "true"
    assert not any(key.startswith("discounts") for key in params)
    assert "metadata[offer]" not in params


def test_a_code_stripe_refuses_is_explained_and_the_normal_price_is_one_click_away(
    visitor, page, fake_stripe
):
    _url, token = thanks_token(visitor, page)
    fake_stripe.fail_next.append(
        stripe_error(400, "This promotion code cannot be redeemed.", code="promotion_code_invalid")
    )

    refused = visitor.post(reverse("landing:checkout", args=[page.slug]), {"t": token})
    plain = visitor.post(reverse("landing:checkout", args=[page.slug]), {"t": token, "plain": "1"})

    assert refused.status_code == 409
    assert "No hemos podido aplicar el descuento: la oferta ya no es válida." in (
        refused.content.decode()
    )
    assert plain.status_code == 303
    first, second = checkout_requests(fake_stripe)
    assert first["discounts[0][promotion_code]"] == "promo_1"
    assert second["allow_promotion_codes"] == "true"


def test_stripe_down_at_an_offer_checkout_answers_503_with_a_message(visitor, page, fake_stripe):
    _url, token = thanks_token(visitor, page)
    fake_stripe.fail_next.append(stripe_error(500, "boom", type_="api_error"))

    response = visitor.post(reverse("landing:checkout", args=[page.slug]), {"t": token})

    assert response.status_code == 503
    assert "No hemos podido abrir el pago" in response.content.decode()


# --- Personal link ------------------------------------------------------------------------


def test_a_personal_link_shows_the_offer_without_calling_stripe_and_pays_with_the_code(
    visitor, offer, lead, plans, fake_stripe
):
    link = personal_link(offer=offer, lead=lead, campaign_id=7, step_id=None)
    path = link.removeprefix("https://ops.example.com")
    assert path.startswith("/o/")

    shown = visitor.get(path)

    html = shown.content.decode()
    assert shown.status_code == 200
    assert "25 % en tu primer mes" in html
    assert "<strong>VUELTA25</strong>" in html
    assert "Suscribirme al plan Premium con el descuento" in html
    assert checkout_requests(fake_stripe) == []

    response = visitor.post(path, {"plan": "premium"})

    assert response.status_code == 303
    [params] = checkout_requests(fake_stripe)
    assert params["discounts[0][promotion_code]"] == "promo_1"
    assert "allow_promotion_codes" not in params
    assert (params["metadata[offer]"], params["metadata[campaign]"]) == (str(offer.pk), "7")
    assert "metadata[step]" not in params
    assert params["customer_email"] == "marta@example.com"
    assert params["line_items[0][price]"] == "price_premium"


def test_a_personal_link_for_an_expired_offer_explains_and_pays_the_normal_price(
    visitor, offer, lead, plans, fake_stripe, clock
):
    path = personal_link(offer=offer, lead=lead, step_id=3).removeprefix("https://ops.example.com")
    clock.shift(timedelta(days=31))

    html = visitor.get(path).content.decode()
    response = visitor.post(path, {"plan": "basico", "plain": "1"})

    assert "Esta oferta caducó el 2026-12-25." in html
    assert "<strong>VUELTA25</strong>" not in html
    assert response.status_code == 303
    [params] = checkout_requests(fake_stripe)
    assert params["allow_promotion_codes"] == "true"
    assert "metadata[offer]" not in params


def test_even_without_the_plain_flag_an_ended_offer_never_reaches_stripe(
    visitor, offer, lead, plans, fake_stripe
):
    path = personal_link(offer=offer, lead=lead).removeprefix("https://ops.example.com")
    Offer.objects.filter(pk=offer.pk).update(status=Offer.Status.ENDED)

    response = visitor.post(path, {"plan": "basico"})

    assert response.status_code == 303
    [params] = checkout_requests(fake_stripe)
    assert not any(key.startswith("discounts") for key in params)


@pytest.mark.parametrize("token", ["forged", "eyJvIjoxfQ:1abc:def"])
def test_a_forged_personal_link_is_a_clear_400(visitor, token, fake_stripe):
    response = visitor.get(reverse("offers:personal", args=[token]))

    assert response.status_code == 400
    assert "no es válido" in response.content.decode()


def test_an_unknown_plan_is_a_400_with_the_choice_kept_on_the_page(
    visitor, offer, lead, plans, fake_stripe
):
    path = personal_link(offer=offer, lead=lead).removeprefix("https://ops.example.com")

    response = visitor.post(path, {"plan": "oro"})

    assert response.status_code == 400
    assert "Elige uno de los planes." in response.content.decode()
    assert checkout_requests(fake_stripe) == []


def test_a_personal_link_speaks_the_contacts_language(visitor, offer, lead, plans):
    Lead.objects.filter(pk=lead.pk).update(language="en")
    path = personal_link(offer=offer, lead=lead).removeprefix("https://ops.example.com")

    assert '<html lang="en">' in visitor.get(path).content.decode()


# --- Withdrawing --------------------------------------------------------------------------


@pytest.fixture
def promotion_updates(fake_stripe):
    updates = []

    def update(request):
        if fake_stripe.fail_next:
            return fake_stripe.fail_next.pop(0)
        updates.append((request.path, request.form.to_dict()))
        body = {"id": request.path.rsplit("/", 1)[1], "object": "promotion_code", "active": False}
        return Response(json.dumps(body), content_type="application/json")

    fake_stripe.server.expect_request(
        re.compile(r"^/v1/promotion_codes/[^/]+$"), method="POST"
    ).respond_with_handler(update)
    return updates


def test_withdrawing_an_offer_stops_our_links_at_once_and_deactivates_the_code_in_stripe(
    visitor, offer, lead, plans, promotion_updates, fake_stripe, client, staff_user
):
    path = personal_link(offer=offer, lead=lead).removeprefix("https://ops.example.com")
    client.force_login(staff_user)

    response = client.post(
        "/admin/marketing/offer/",
        {"action": "withdraw", "_selected_action": [offer.pk]},
        follow=True,
    )

    assert "retirada." in response.content.decode()
    assert promotion_updates == [("/v1/promotion_codes/promo_1", {"active": "false"})]
    offer.refresh_from_db()
    assert offer.status == Offer.Status.ENDED
    assert "Esta oferta ya no está disponible." in visitor.get(path).content.decode()


def test_a_stripe_outage_while_withdrawing_still_ends_the_offer_here_and_says_so(
    offer, promotion_updates, fake_stripe, client, staff_user
):
    client.force_login(staff_user)
    fake_stripe.fail_next.append(stripe_error(500, "boom", type_="api_error"))
    action = {"action": "withdraw", "_selected_action": [offer.pk]}

    first = client.post("/admin/marketing/offer/", action, follow=True)
    second = client.post("/admin/marketing/offer/", action, follow=True)  # staff retry

    assert "Stripe no desactivó el código" in first.content.decode()
    assert "retirada." in second.content.decode()
    assert promotion_updates == [("/v1/promotion_codes/promo_1", {"active": "false"})]
    assert Offer.objects.get(pk=offer.pk).status == Offer.Status.ENDED
