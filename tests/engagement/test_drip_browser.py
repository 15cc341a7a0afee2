"""Staff edit a plan's onboarding drip in Chromium: the three messages on the plan's page,
in Spanish, saved as typed."""

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission

from engagement.drip.defaults import install_default_drip
from engagement.drip.models import DripMessage

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_staff_change_the_day_one_message_of_a_plan(
    live_server, browser_page, django_user_model, plan
):
    install_default_drip(plan)
    user = django_user_model.objects.create_user(
        username="lola", password="pw-lola-1234", is_staff=True
    )
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_plandrip", "change_plandrip", "change_dripmessage",
                          "view_dripmessage"]
        )
    )  # fmt: skip
    page = browser_page
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{live_server.url}/admin/login/?next=/admin/engagement/plandrip/")
    page.fill("#id_username", "lola")
    page.fill("#id_password", "pw-lola-1234")
    page.click("button[type=submit]")
    page.get_by_role("link", name=plan.name).click()
    page.wait_for_url("**/plandrip/*/change/")

    english_subject = page.get_by_text("Asunto en inglés").first
    english_subject.wait_for()
    assert english_subject.is_visible()
    subject = page.locator("input[name$='-subject_es']").first
    subject.fill("{nombre}, entra hoy al portal")
    folder = settings.VAR_DIR / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=folder / "plan-drip.png", full_page=True)
    with page.expect_navigation():
        page.click("button[name=_save]")

    day_1 = DripMessage.objects.get(plan=plan, day=1)
    assert day_1.subject_es == "{nombre}, entra hoy al portal"
    assert DripMessage.objects.filter(plan=plan).count() == 3
