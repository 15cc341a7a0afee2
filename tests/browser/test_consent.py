"""A contact's own pages in Chromium: the double opt-in confirmation from the email, the
preferences page, and the unsubscribe link of a marketing email."""

import re

import pytest

from courseops.messaging.models import OutboundMessage
from courseops.messaging.services.suppression import is_suppressed, unsubscribe_url
from marketing.landing.models import LandingPage
from marketing.models import Consent, Lead, LeadForm, Purpose
from tests.browser.conftest import assert_production_headers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def double_opt_in_page():
    form = LeadForm.objects.create(
        slug="clases-gratis",
        name="Clases gratis",
        newsletter_text="Quiero recibir las clases gratis.",
        double_opt_in=True,
    )
    return LandingPage.objects.create(
        slug="clases-gratis",
        title="Clases gratis de IA",
        description="Tres clases por correo.",
        headline="Aprende IA en tres clases",
        form=form,
        published=True,
    )


def _link(message, path):
    return re.search(rf"https://\S+{path}\S+", message.text_body).group(0)


def test_a_contact_confirms_by_email_changes_preferences_and_unsubscribes(page, double_opt_in_page):
    page.goto("/l/clases-gratis/")
    page.get_by_label("Correo electrónico").fill("marta@example.com")
    page.get_by_label("Quiero recibir las clases gratis.").check()
    page.get_by_role("button", name="Quiero apuntarme").click()
    page.get_by_role("heading", name="¡Gracias!").wait_for()
    lead = Lead.objects.get(email="marta@example.com")
    assert lead.consents.get(purpose=Purpose.NEWSLETTER).status == Consent.Status.PENDING

    # The confirmation email's link: a GET only shows; the button confirms.
    email = OutboundMessage.objects.get(recipient="marta@example.com")
    shown = page.goto(_link(email, "/suscripcion/confirmar/"))
    assert_production_headers(shown)
    assert lead.consents.get(purpose=Purpose.NEWSLETTER).status == Consent.Status.PENDING
    page.get_by_role("button", name="Confirmar").click()
    page.get_by_role("heading", name="¡Suscripción confirmada!").wait_for()
    assert lead.consents.get(purpose=Purpose.NEWSLETTER).status == Consent.Status.GRANTED

    page.get_by_role("link", name="mis preferencias").click()
    page.get_by_role("heading", name="¿Qué quieres recibir?").wait_for()
    page.get_by_label(str(Purpose.NEWSLETTER.label)).uncheck()
    page.get_by_role("button", name="Guardar").click()
    page.get_by_text("Preferencias guardadas.").wait_for()
    assert lead.consents.get(purpose=Purpose.NEWSLETTER).status == Consent.Status.WITHDRAWN

    page.goto(unsubscribe_url(address="marta@example.com"))
    page.get_by_role("button", name="Confirmar la baja").click()
    page.get_by_role("heading", name="Baja confirmada").wait_for()
    assert is_suppressed(channel="email", address="marta@example.com", category="marketing")
