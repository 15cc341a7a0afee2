"""/registro/: the public page of the plans on sale (and Stripe's cancel URL)."""

from urllib.parse import urlparse

import pytest

import courseops.settings as configured
from students.models import Plan, Student


@pytest.fixture
def on_sale(db, fake_stripe):
    Plan.objects.create(slug="gratis", name="Comunidad", price=0, sort_order=1)
    Plan.objects.create(
        slug="premium", name="Premium", price=79, stripe_price_id="price_premium", sort_order=2
    )
    # Requires payment but cannot be bought yet: not offered.
    Plan.objects.create(slug="vip", name="VIP", price=399, requires_payment=True, sort_order=3)
    Plan.objects.create(slug="viejo", name="Antiguo", active=False)


def test_the_page_lists_the_active_plans_with_prices_and_a_button_each(client, on_sale):
    html = client.get("/registro/").content.decode()

    assert "Comunidad" in html
    assert "Gratis" in html
    assert "79,00 USD" in html  # the project's money format
    assert 'action="/registro/plan/premium/pagar/"' in html
    assert 'href="/registro/plan/gratis/"' in html
    assert "VIP" not in html
    assert "Antiguo" not in html


def test_stripes_default_cancel_url_is_this_page_and_says_nothing_was_charged(client, on_sale):
    # The default from the environment-less settings module (tests override the setting).
    path = urlparse(configured.STRIPE_CHECKOUT_CANCEL_URL)
    response = client.get(f"{path.path}?{path.query}")

    assert response.status_code == 200
    assert "no se te ha cobrado nada" in response.content.decode()


def test_a_paid_plans_button_opens_stripe_checkout(client, on_sale, fake_stripe):
    response = client.post("/registro/plan/premium/pagar/")

    assert response.status_code == 302
    assert response["Location"].startswith("https://checkout.stripe.com/")
    sent, _headers = fake_stripe.requests("/v1/checkout/sessions")[0]
    assert sent["line_items[0][price]"] == "price_premium"
    assert client.post("/registro/plan/gratis/pagar/").status_code == 404


def test_a_free_plan_registers_through_the_intake_service(
    client, on_sale, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/registro/plan/gratis/",
            {"full_name": "Ana Ruiz", "email": "ana@example.com", "country": "España"},
        )

    assert "Te has inscrito en Comunidad" in response.content.decode()
    student = Student.objects.get()
    assert (student.plan.slug, student.source, student.country) == ("gratis", "web", "ES")
    assert student.intake_records.get().source == "web"


def test_a_free_registration_with_errors_shows_them_and_stores_nothing(client, on_sale):
    response = client.post("/registro/plan/gratis/", {"full_name": "", "email": "ana@gmial.com"})

    html = response.content.decode()
    assert response.status_code == 400
    assert "El nombre es obligatorio." in html
    assert "¿Quisiste decir ana@gmail.com?" in html
    assert not Student.objects.exists()
    assert client.get("/registro/plan/vip/").status_code == 404
    assert client.get("/registro/plan/premium/").status_code == 404


def test_the_pages_buttons_are_limited_per_address_like_every_public_form(
    client, on_sale, settings
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "lead_form": "2/min",
        },
    }
    answers = [client.post("/registro/plan/premium/pagar/").status_code for _ in range(3)]
    assert answers == [302, 302, 429]


def test_checkouts_default_success_page_tells_the_buyer_to_look_for_the_sign_in_email(client):
    path = urlparse(configured.STRIPE_CHECKOUT_SUCCESS_URL).path
    page = client.get(path)

    assert path == "/registro/gracias/"
    assert page.status_code == 200
    assert "recibirás un correo con tu enlace para entrar" in page.content.decode()
    assert 'href="/portal/entrar/"' in page.content.decode()
