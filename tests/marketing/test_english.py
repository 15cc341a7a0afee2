"""An English-speaking contact reads the subscription emails and pages in English: the
contact's language, or the link's `lang` when the link no longer names a contact."""

import re

import pytest
from django.test import Client

from courseops.messaging.models import OutboundMessage

pytestmark = pytest.mark.django_db


def test_an_english_lead_confirms_and_chooses_in_english(subscribe):
    subscribe({"email": "tom@example.com", "name": "Tom Hill", "consent": True, "language": "en"})

    message = OutboundMessage.objects.get(template="marketing/confirm_subscription")
    assert message.subject == "Confirm your subscription"
    assert message.text_body.startswith("Hi Tom!")
    assert "- Email newsletter" in message.text_body
    assert "Yes, subscribe me" in message.text_body
    url = re.search(r"http://\S+/suscripcion/confirmar/\S+", message.text_body).group(0)
    assert url.endswith("?lang=en")
    client = Client()

    page = client.get(url).content.decode()
    assert '<html lang="en">' in page
    assert "Confirm your subscription" in page
    confirmed = client.post(url).content.decode()
    assert "Subscription confirmed!" in confirmed

    preferences = re.search(r'href="(http://\S+/suscripcion/preferencias/[^"]+)"', confirmed)
    page = client.get(preferences.group(1).replace("&amp;", "&")).content.decode()
    assert "What would you like to receive?" in page
    assert "I want to receive news, free classes and offers by email." in page
    saved = client.post(preferences.group(1).replace("&amp;", "&"), {}).content.decode()
    assert "Preferences saved." in saved


def test_an_expired_or_tampered_link_speaks_the_links_language():
    english = Client().get("/suscripcion/preferencias/roto/?lang=en")
    spanish = Client().get("/suscripcion/preferencias/roto/")

    assert english.status_code == spanish.status_code == 400
    assert "Subscribe again from the form" in english.content.decode()
    assert "Vuelve a suscribirte desde el formulario" in spanish.content.decode()
