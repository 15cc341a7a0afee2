"""Landing pages: a fast server-rendered page with its tags, a form that makes a contact
with consent, UTM and referrer, bots and floods kept out, headline A/B, the plan's
checkout, and AI copy through review."""

import pytest
from django.test import Client
from django.urls import reverse

from courseops.messaging.models import OutboundMessage
from courseops.reviews.models import Draft
from courseops.reviews.services import approve_draft
from marketing.landing.copy import draft_copy
from marketing.landing.models import LandingPage, LandingSignup, LandingView
from marketing.landing.reports import variant_results
from marketing.models import Activity, Consent, Lead, LeadForm

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1"
CONSENT_TEXT = "Sí, quiero recibir por correo las clases gratuitas y ofertas de la escuela."


@pytest.fixture
def lead_form(db):
    return LeadForm.objects.create(
        slug="landing-ia", name="Landing IA", newsletter_text=CONSENT_TEXT
    )


@pytest.fixture
def page(lead_form):
    return LandingPage.objects.create(
        slug="ia-para-docentes",
        title="IA para docentes",
        description="Un curso práctico de IA para preparar clases en la mitad de tiempo.",
        image_url="https://cdn.example.com/ia.png",
        headline="Prepara tus clases con IA",
        body="## Qué aprenderás\nA usar asistentes de IA.\n\nSin experiencia previa.",
        fields=["name"],
        form=lead_form,
        published=True,
    )


@pytest.fixture
def visitor():
    return Client(HTTP_USER_AGENT=BROWSER)


def url(page):
    return reverse("landing:page", args=[page.slug])


def signup(visitor, page, ip="198.51.100.1", **extra):
    data = {"email": "Marta@Example.com", "name": "Marta Gil", "consent": "on", "variant": "0"}
    return visitor.post(url(page), data | extra, REMOTE_ADDR=ip)


def test_the_page_is_server_rendered_with_its_tags_and_the_exact_consent_text(visitor, page):
    response = visitor.get(url(page) + "?utm_source=facebook&utm_campaign=otono")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="es">' in html
    assert "<title>IA para docentes</title>" in html
    assert f'<meta name="description" content="{page.description}">' in html
    assert '<meta property="og:title" content="IA para docentes">' in html
    assert '<meta property="og:image" content="https://cdn.example.com/ia.png">' in html
    assert 'name="viewport"' in html
    assert "<h1>Prepara tus clases con IA</h1>" in html
    assert "<h2>Qué aprenderás</h2>" in html
    assert f'<label for="id_consent">{CONSENT_TEXT}</label>' in html
    assert '<input type="hidden" name="utm_source" value="facebook">' in html
    assert "<script" not in html
    [view] = LandingView.objects.all()
    assert (view.utm_source, view.utm_campaign) == ("facebook", "otono")


@pytest.mark.parametrize(
    ("agent", "method"),
    [
        ("Googlebot/2.1 (+http://www.google.com/bot.html)", "get"),
        ("facebookexternalhit/1.1 (preview)", "get"),
        ("", "get"),
        (BROWSER, "head"),
    ],
)
def test_bots_previews_and_head_requests_are_not_counted_as_views(page, agent, method):
    response = getattr(Client(HTTP_USER_AGENT=agent), method)(url(page))

    assert response.status_code == 200
    assert not LandingView.objects.exists()


def test_an_unpublished_page_is_not_found(visitor, page):
    page.published = False
    page.save()

    assert visitor.get(url(page)).status_code == 404


def test_sending_the_form_makes_a_lead_with_consent_utm_referrer_and_a_pending_opt_in(
    visitor, page, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = signup(
            visitor,
            page,
            utm_source="facebook",
            utm_medium="cpc",
            utm_campaign="otono",
            referrer="https://www.facebook.com/",
            ip="203.0.113.9",
        )

    assert response.status_code == 303
    assert response["Location"].startswith(reverse("landing:thanks", args=[page.slug]) + "?t=")
    lead = Lead.objects.get()
    assert (lead.email, lead.name, lead.first_source) == (
        "marta@example.com",
        "Marta Gil",
        "landing",
    )
    assert lead.first_utm == {
        "utm_source": "facebook",
        "utm_medium": "cpc",
        "utm_campaign": "otono",
        "referrer": "https://www.facebook.com/",
    }
    consent = Consent.objects.get(lead=lead)
    assert (consent.status, consent.text, consent.ip, consent.source) == (
        "pending",
        CONSENT_TEXT,
        "203.0.113.9",
        "landing:landing-ia",
    )
    assert OutboundMessage.objects.filter(
        template="marketing/confirm_subscription", recipient="marta@example.com"
    ).exists()
    signup_row = LandingSignup.objects.get()
    assert (signup_row.lead, signup_row.referrer) == (lead, "https://www.facebook.com/")
    assert Activity.objects.filter(lead=lead, action="visited_landing").count() == 1

    thanks = visitor.get(response["Location"])
    assert thanks.status_code == 200
    assert "¡Gracias!" in thanks.content.decode()
    assert "confirma tu suscripción" in thanks.content.decode()


def test_a_single_opt_in_form_grants_consent_at_once_and_no_box_ticked_records_none(
    visitor, page, lead_form
):
    lead_form.double_opt_in = False
    lead_form.save()

    signup(visitor, page)
    signup(visitor, page, email="sin@example.com", consent="")

    assert Consent.objects.get(lead__email="marta@example.com").status == "granted"
    assert not Consent.objects.filter(lead__email="sin@example.com").exists()
    assert Lead.objects.count() == 2


def test_the_same_person_twice_is_one_contact_one_signup_and_one_visit_score(visitor, page):
    signup(visitor, page)
    signup(visitor, page, email="MARTA@example.com")

    assert Lead.objects.count() == 1
    assert LandingSignup.objects.count() == 1
    assert Activity.objects.filter(action="visited_landing").count() == 1


def test_the_honeypot_answers_thanks_and_stores_nothing(visitor, page):
    response = signup(visitor, page, website="http://spam.example.com")

    assert response.status_code == 200
    assert "¡Gracias!" in response.content.decode()
    assert not Lead.objects.exists()


def test_a_bad_email_is_a_form_error_with_what_was_typed_kept(visitor, page):
    response = signup(visitor, page, email="no-es-un-email", name="Marta")

    html = response.content.decode()
    assert response.status_code == 400
    assert 'aria-invalid="true"' in html
    assert 'value="Marta"' in html
    assert not Lead.objects.exists()


def test_posts_are_rate_limited_per_address(visitor, page, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "lead_form": "2/min",
        },
    }
    codes = [signup(visitor, page, email=f"p{n}@example.com").status_code for n in range(3)]

    assert codes == [303, 303, 429]
    assert visitor.get(url(page)).status_code == 200
    assert Lead.objects.count() == 2


def test_a_visitor_keeps_one_headline_and_results_count_views_and_signups_per_variant(page):
    page.headline_variants = ["Clases listas en 20 minutos"]
    page.save()
    first = Client(HTTP_USER_AGENT=BROWSER)
    first.cookies[f"lp{page.pk}"] = "1"

    html = [first.get(url(page)).content.decode() for _ in range(2)]
    Client(HTTP_USER_AGENT=BROWSER).get(url(page), HTTP_COOKIE=f"lp{page.pk}=0")
    signup(first, page, variant="1")

    assert all("<h1>Clases listas en 20 minutos</h1>" in h for h in html)
    assert all('name="variant" value="1"' in h for h in html)
    assert variant_results(page) == [
        {
            "variant": 0,
            "headline": "Prepara tus clases con IA",
            "views": 1,
            "signups": 0,
            "rate": 0.0,
        },
        {
            "variant": 1,
            "headline": "Clases listas en 20 minutos",
            "views": 2,
            "signups": 1,
            "rate": 50.0,
        },
    ]


def test_a_plan_page_leads_from_the_thanks_page_to_stripe_checkout(
    visitor,
    page,
    fake_stripe,
    plans,
):
    page.plan = plans["premium"]
    page.save()
    thanks_url = signup(visitor, page)["Location"]
    token = thanks_url.split("?t=")[1]
    assert "Pagar el plan" in visitor.get(thanks_url).content.decode()

    response = visitor.post(reverse("landing:checkout", args=[page.slug]), {"t": token})

    assert response.status_code == 303
    assert response["Location"] == "https://checkout.stripe.com/c/pay/cs_test_1"
    [(params, _headers)] = fake_stripe.requests("/v1/checkout/sessions")
    assert params["customer_email"] == "marta@example.com"
    assert params["line_items[0][price]"] == "price_premium"
    assert Activity.objects.filter(action="checkout_started").count() == 1


def test_checkout_with_a_forged_token_is_refused_without_calling_stripe(
    visitor,
    page,
    fake_stripe,
    plans,
):
    page.plan = plans["premium"]
    page.save()

    response = visitor.post(reverse("landing:checkout", args=[page.slug]), {"t": "forged"})

    assert response.status_code == 400
    assert fake_stripe.requests("/v1/checkout/sessions") == []


def test_an_english_page_speaks_english(visitor, page):
    page.language = "en"
    page.save()

    html = visitor.get(url(page)).content.decode()
    thanks = signup(visitor, page, email="x")

    assert '<html lang="en">' in html
    assert "Leave us your details" in html
    assert "Email" in thanks.content.decode()


def test_ai_copy_waits_for_review_and_approval_makes_it_the_pages_copy(
    page, staff_user, django_capture_on_commit_callbacks
):
    draft = draft_copy(page=page, topic="IA para docentes", user=staff_user)
    page.refresh_from_db()
    assert page.headline == "Prepara tus clases con IA"  # nothing public before approval
    assert draft.kind == "landing_page"

    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=draft, user=staff_user, subject="Tu primera clase con IA, hoy")

    page.refresh_from_db()
    assert page.headline == "Tu primera clase con IA, hoy"
    assert page.headline_variants == ["Aprende IA para docentes paso a paso"]
    assert page.blocks()[0] == {
        "heading": "Qué vas a aprender",
        "text": "IA para docentes, con ejemplos prácticos.",
    }
    assert Draft.objects.get(pk=draft.pk).status == "applied"
