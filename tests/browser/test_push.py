"""A student turns on notifications in the portal, then the webinar's 2-hour reminder
reaches the (local) push service encrypted for their browser, and their browser's service
worker shows it. What is real and what stands in: tests/browser/push.py."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from courseops.messaging.models import Channel, OutboundMessage, PushSubscription, Status
from students.models import Plan, Student
from students.portal.services import sign_in_link
from tests.browser.accessibility import check_widths
from tests.browser.push import chromium_for_push, opt_in_to_push, show_in_browser
from webinars.services import registration_create, scan_due_reminders
from webinars.services.webinars import webinar_create, webinar_schedule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

chromium = chromium_for_push()


@pytest.fixture
def lucia():
    plan = Plan.objects.create(slug="premium", name="Premium", price=99)
    return Student.objects.create(
        full_name="Lucía Fernández",
        email="lucia@example.com",
        plan=plan,
        time_zone="Europe/Madrid",
        source=Student.Source.API,
        status=Student.Status.ACTIVE,
    )


def sign_in(page, student):
    page.goto(sign_in_link(student=student))
    page.get_by_role("button", name="Entrar al portal").click()
    page.wait_for_url("**/portal/")


def test_a_student_opts_in_and_the_2_hour_reminder_reaches_her_browser(page, lucia, push_service):
    now = timezone.now().replace(microsecond=0)
    starts_at = now + timedelta(hours=2, minutes=1)
    webinar = webinar_schedule(
        webinar=webinar_create(
            title="Agentes de IA",
            starts_at=starts_at,
            time_zone="Europe/Madrid",
            plans=[lucia.plan],
        )
    )
    registration_create(webinar=webinar, student=lucia, source="admin")
    sign_in(page, lucia)

    browser = opt_in_to_push(page, push_service)
    assert PushSubscription.objects.get().address == "lucia@example.com"

    # Two minutes later the 2-hour reminder is due (one registered after it gets none).
    with time_machine.travel(now + timedelta(minutes=2), tick=True):
        scan_due_reminders()

    [request] = push_service.pushes(browser)
    notice = push_service.notice(request, browser)  # aes128gcm, our VAPID signature
    local = starts_at.astimezone(ZoneInfo("Europe/Madrid")).strftime("%H:%M")
    assert notice["title"] == "Agentes de IA"
    assert local in notice["body"]
    message = OutboundMessage.objects.get(channel=Channel.PUSH)
    assert message.status == Status.SENT

    shown = show_in_browser(page, browser.decrypt(request.get_data()).decode())
    assert shown == [{"title": "Agentes de IA", "body": notice["body"], "url": notice["url"]}]


def test_turning_notifications_off_forgets_the_browser_and_both_pages_pass_axe(
    page, lucia, push_service, tmp_path
):
    sign_in(page, lucia)
    page.get_by_role("link", name="Activar avisos").wait_for()  # the home's invitation
    found = {"home": check_widths(page, tmp_path, "home-push")}
    opt_in_to_push(page, push_service)
    found["avisos"] = check_widths(page, tmp_path, "avisos")
    page.set_viewport_size({"width": 1280, "height": 900})

    with page.expect_response("**/portal/avisos/suscripcion/"):
        page.get_by_role("button", name="Desactivar avisos").click()

    page.locator("#push-status[data-state=off]").wait_for()
    assert not PushSubscription.objects.exists()
    assert found == {name: {"laptop": [], "phone": []} for name in found}
