"""Staff build a segment in a real browser: rows, a live count, saved as rules."""

import pytest

from marketing.models import Lead, Segment

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_staff_build_a_segment_with_rows_and_see_the_live_count(
    live_server, browser_page, staff_user
):
    for email, country in (
        ("a@example.com", "MX"),
        ("b@example.com", "MX"),
        ("c@example.com", "ES"),
    ):
        Lead.objects.create(email=email, country=country, first_source="api", last_source="api")
    page = browser_page
    page.goto(f"{live_server.url}/admin/login/?next=/admin/marketing/segment/add/")
    page.fill("#id_username", "ana")
    page.fill("#id_password", "pw-ana-1234")
    page.click("button[type=submit]")
    page.wait_for_selector("#segment-builder")
    page.fill("#id_name", "México")

    page.get_by_role("button", name="+ condición").click()
    page.get_by_label("campo").select_option(label="País")
    page.get_by_label("operador").select_option(label="es")
    page.get_by_label("valor").select_option(label="México")
    # Staff read labels, not the stored ids.
    builder = page.inner_text("#segment-builder")
    assert "País" in builder
    assert "country" not in builder
    assert not page.is_visible("#id_rules")

    page.wait_for_function(
        "document.getElementById('segment-live-count').textContent.includes('2 contactos')"
    )
    page.click("button[name=_save]")
    page.wait_for_url(f"{live_server.url}/admin/marketing/segment/")

    segment = Segment.objects.get(name="México")
    assert segment.rules == {
        "match": "all",
        "conditions": [{"field": "country", "op": "is", "value": "MX"}],
    }


@pytest.mark.django_db(transaction=True)
def test_a_landing_page_turns_a_browser_visit_into_a_lead_with_consent_and_utm(
    live_server, browser_page
):
    from marketing.landing.models import LandingPage, LandingView
    from marketing.models import Consent, LeadForm

    form = LeadForm.objects.create(
        slug="landing-ia", name="Landing IA", newsletter_text="Quiero recibir las clases gratis."
    )
    LandingPage.objects.create(
        slug="ia-para-docentes",
        title="IA para docentes",
        description="Prepara tus clases con IA.",
        headline="Prepara tus clases con IA",
        fields=["name"],
        form=form,
        published=True,
    )
    page = browser_page
    # Headless Chrome says so in its user agent and would count as a bot, not a visit.
    page.set_extra_http_headers({"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0"})
    page.goto(
        f"{live_server.url}/l/ia-para-docentes/?utm_source=instagram&utm_medium=social"
        "&utm_campaign=otono"
    )
    page.get_by_label("Nombre").fill("Marta Gil")
    page.get_by_label("Correo electrónico").fill("marta@example.com")
    page.get_by_label("Quiero recibir las clases gratis.").check()
    page.get_by_role("button", name="Quiero apuntarme").click()

    page.wait_for_selector("h1:has-text('¡Gracias!')")
    lead = Lead.objects.get(email="marta@example.com")
    assert lead.name == "Marta Gil"
    assert lead.first_source == "landing"
    assert lead.first_utm == {
        "utm_source": "instagram",
        "utm_medium": "social",
        "utm_campaign": "otono",
    }
    consent = Consent.objects.get(lead=lead)
    assert (consent.status, consent.text) == ("pending", "Quiero recibir las clases gratis.")
    assert LandingView.objects.filter(utm_source="instagram").count() == 1


@pytest.mark.django_db(transaction=True)
def test_marketing_write_a_newsletter_in_markdown_and_see_it_as_sent_on_desktop_and_mobile(
    live_server, browser_page, django_user_model
):
    from django.conf import settings
    from django.contrib.auth.models import Permission

    from marketing.models import Campaign, Variant

    user = django_user_model.objects.create_user(
        username="mar", password="pw-mar-1234", is_staff=True
    )
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_campaign", "change_campaign", "view_variant", "change_variant"]
        )
    )
    campaign = Campaign.objects.create(name="Diciembre")
    campaign.segments.add(Segment.objects.create(name="Todos", rules={"match": "all"}))
    variant = Variant.objects.create(campaign=campaign, subject="Novedades", body_html="<p>x</p>")
    page = browser_page
    page.set_viewport_size({"width": 1500, "height": 1000})
    page.goto(
        f"{live_server.url}/admin/login/?next=/admin/marketing/campaign/{campaign.pk}/change/"
    )
    page.fill("#id_username", "mar")
    page.fill("#id_password", "pw-mar-1234")
    page.click("button[type=submit]")

    page.fill("#id_variants-0-body_markdown", "Hola {nombre},\n\n**Nuevo curso** de IA.")
    desktop = page.frame_locator("iframe[data-width='640']")
    mobile = page.frame_locator("iframe[data-width='375']")
    desktop.locator("strong", has_text="Nuevo curso").wait_for()
    assert "Hola Ana" in mobile.locator("body").inner_text()
    assert page.locator("iframe[data-width='375']").get_attribute("sandbox") == ""
    assert page.locator("iframe[data-width='375']").bounding_box()["width"] == 375
    folder = settings.VAR_DIR / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.locator(".email-preview").scroll_into_view_if_needed()
    page.screenshot(path=folder / "newsletter-editor.png", full_page=True)

    with page.expect_navigation():
        page.click("button[name=_continue]")
    page.screenshot(path=folder / "newsletter-saved.png", full_page=True)
    variant.refresh_from_db()
    assert (
        variant.body_html == "<p>Hola {nombre},</p>\n<p><strong>Nuevo curso</strong> de IA.</p>\n"
    )
