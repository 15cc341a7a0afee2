"""Webinar registration in Chromium, then the personal join link of the emails: counted,
and on to the meeting without handing it the token in a Referer."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.conftest import assert_production_headers
from webinars.models import Registration, Webinar
from webinars.services.attendance import join_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def meeting_room(httpserver):
    """The meeting provider's page, as a local server that shows what it was sent."""
    httpserver.expect_request("/ia-practica").respond_with_data(
        "<h1>Sala del webinar</h1>", content_type="text/html"
    )
    return httpserver


@pytest.fixture
def webinar(meeting_room):
    return Webinar.objects.create(
        title="IA práctica",
        starts_at=timezone.now() + timedelta(days=3),
        time_zone="Europe/Madrid",
        status=Webinar.Status.SCHEDULED,
        is_public=True,
        meeting_url=meeting_room.url_for("/ia-practica"),
    )


def test_a_visitor_registers_for_a_webinar_and_joins_from_the_personal_link(
    page, webinar, meeting_room, tmp_path
):
    shown = page.goto(f"/webinars/{webinar.pk}/")
    assert_production_headers(shown)
    page.get_by_label("Nombre").fill("Tomás Ruiz")
    page.get_by_label("Correo electrónico").fill("tomas@example.com")
    page.get_by_role("button", name="Reservar mi plaza").click()
    page.get_by_role("heading", name="¡Listo! Tu plaza está reservada").wait_for()
    page.screenshot(path=tmp_path / "webinar-registered.png", full_page=True)
    registration = Registration.objects.get(webinar=webinar)
    assert (registration.email, registration.name) == ("tomas@example.com", "Tomás Ruiz")

    page.goto(join_url(registration))
    page.get_by_role("heading", name="Sala del webinar").wait_for()

    [arrived] = [request for request, _ in meeting_room.log if request.path == "/ia-practica"]
    assert "Referer" not in arrived.headers  # the join token stays on our site
    assert page.url == meeting_room.url_for("/ia-practica")
