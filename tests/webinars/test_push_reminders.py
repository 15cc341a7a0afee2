from datetime import timedelta

import pytest

from courseops.messaging.models import Channel, OutboundMessage, Status
from courseops.messaging.services import subscribe_push
from tests.webinars.conftest import START
from webinars.models import Registration
from webinars.services import registration_create, scan_due_reminders

pytestmark = pytest.mark.django_db
BEFORE = START - timedelta(days=20)


@pytest.fixture
def registration(make_webinar, at):
    webinar = at(BEFORE, make_webinar)
    return at(
        BEFORE,
        registration_create,
        webinar=webinar,
        email="lucia@example.com",
        name="Lucía Pérez",
        time_zone="America/Mexico_City",
        source=Registration.Source.PAGE,
    )


def test_the_2_hour_and_10_minute_reminders_reach_the_browsers_the_registrant_subscribed(
    registration, push_service, at
):
    browser = push_service.new_browser()
    subscribe_push(
        address="Lucia@example.com", endpoint=browser.endpoint, **browser.as_json()["keys"]
    )

    for offset in (timedelta(hours=2), timedelta(minutes=10)):
        at(START - offset, scan_due_reminders)
        at(START - offset + timedelta(seconds=30), scan_due_reminders)  # a second scan

    two_hours, ten_minutes = (
        push_service.notice(request, browser) for request in push_service.pushes(browser)
    )
    assert two_hours["title"] == "IA para tu negocio"
    assert "11:00" in two_hours["body"]  # her time, Mexico City
    assert two_hours["url"].endswith(f"/webinars/{registration.webinar_id}/")
    assert "Toca para entrar" in ten_minutes["body"]
    assert ten_minutes["url"] != two_hours["url"]  # the join link, not the page
    pushes = OutboundMessage.objects.filter(channel=Channel.PUSH).order_by("pk")
    assert [message.status for message in pushes] == [Status.SENT, Status.SENT]
    # Dropped by the push service if her phone is off until the next reminder is due.
    first_ttl = int(push_service.pushes(browser)[0].headers["TTL"])
    assert timedelta(seconds=first_ttl) == timedelta(hours=2) - timedelta(minutes=10)


def test_the_1_day_reminder_does_not_push(registration, push_service, at):
    browser = push_service.new_browser()
    subscribe_push(
        address=registration.email, endpoint=browser.endpoint, **browser.as_json()["keys"]
    )

    at(START - timedelta(days=1), scan_due_reminders)

    assert push_service.pushes() == []
    assert OutboundMessage.objects.filter(channel=Channel.EMAIL).exists()
