"""Portal sign-in in Chromium: ask for a link, open it from the email, press the button,
land in the portal with Secure cookies."""

import re

import pytest

from courseops.messaging.models import OutboundMessage
from students.models import Material, Plan, Student, StudentMaterial
from tests.browser.conftest import assert_production_headers, secure_cookies

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def lucia():
    plan = Plan.objects.create(slug="premium", name="Premium", price=99)
    student = Student.objects.create(
        full_name="Lucía Fernández",
        email="lucia@example.com",
        plan=plan,
        source=Student.Source.API,
    )
    material = Material.objects.create(
        title="Guía de prompts", kind="document", url="https://x.test/g"
    )
    StudentMaterial.objects.create(student=student, material=material)
    return student


def test_a_student_asks_for_a_link_opens_it_and_lands_in_the_portal(page, lucia, tmp_path):
    shown = page.goto("/portal/entrar/")
    assert_production_headers(shown)
    page.get_by_label("Tu email").fill("LUCIA@example.com")
    page.get_by_role("button", name="Enviarme el enlace").click()
    page.wait_for_load_state()

    message = OutboundMessage.objects.get(recipient="lucia@example.com")
    link = re.search(r"https://\S+/portal/acceso/\S+/", message.text_body).group(0)
    assert link.startswith(page.url.split("/portal/")[0])  # the emailed link is the site's

    page.goto(link)
    page.get_by_role("heading", name="Hola, Lucía").wait_for()
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Entrar al portal").click()
    page.wait_for_url("**/portal/")

    page.screenshot(path=tmp_path / "portal-home.png", full_page=True)
    assert posted.value.status == 302
    assert page.get_by_role("link", name="Guía de prompts").is_visible()
    cookies = secure_cookies(page)
    assert cookies["sessionid"]["secure"]
    assert cookies["sessionid"]["httpOnly"]
    assert cookies["csrftoken"]["secure"]


def test_a_used_link_answers_with_the_sign_in_form_and_a_clear_error(page, lucia):
    from students.portal.services import sign_in_link

    link = sign_in_link(student=lucia)
    page.goto(link)
    page.get_by_role("button", name="Entrar al portal").click()
    page.wait_for_url("**/portal/")
    page.context.clear_cookies()

    page.goto(link)

    page.get_by_role("alert").wait_for()
    assert page.get_by_role("button", name="Enviarme el enlace").is_visible()
    assert page.get_by_role("heading", name="Entrar al portal").is_visible()
