"""In a real browser, the Content-Security-Policy blocks nothing our pages need: the
unfold admin (Alpine.js, htmx), a landing page and Swagger UI all work and no violation is
reported; the admin sign-in locks out after wrong passwords and asks admins for a TOTP
code."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from marketing.landing.models import LandingPage
from marketing.models import Lead, LeadForm

pytestmark = pytest.mark.browser

WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@pytest.fixture
def watched_page(browser_page, settings):
    """The browser page, with production's DEBUG off, recording CSP violations both from
    the page's own event and from the console."""
    settings.DEBUG = False
    console = []
    browser_page.on(
        "console",
        lambda message: (
            console.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    browser_page.add_init_script(WATCH_VIOLATIONS)

    def violations():
        return browser_page.evaluate("window.__cspViolations") + console

    browser_page.violations = violations
    return browser_page


def sign_in(page, live_server, next_path):
    page.goto(f"{live_server.url}/admin/login/?next={next_path}")
    page.fill("#id_username", "ana")
    page.fill("#id_password", "pw-ana-1234")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}{next_path}")


@pytest.mark.django_db(transaction=True)
def test_the_admin_works_under_its_policy_with_no_violation(live_server, watched_page, staff_user):
    Lead.objects.create(email="lucia@example.com", first_source="api", last_source="api")
    page = watched_page

    sign_in(page, live_server, "/admin/marketing/lead/")

    assert page.get_by_role("link", name="lucia@example.com").is_visible()
    # Alpine.js removes x-cloak once it has compiled the page's attributes: with its
    # 'unsafe-eval' refused, the whole admin would stay hidden.
    page.wait_for_function("!document.documentElement.hasAttribute('x-cloak')")
    assert page.evaluate("typeof window.Alpine") == "object"
    # The KPI dashboard (unfold's Chart.js components) under the same policy.
    page.goto(f"{live_server.url}/admin/")
    page.wait_for_function("!document.documentElement.hasAttribute('x-cloak')")
    assert page.violations() == []


@pytest.mark.django_db(transaction=True)
def test_a_landing_page_renders_its_styles_under_the_strict_policy(live_server, watched_page):
    form = LeadForm.objects.create(slug="landing-ia", name="Landing IA", newsletter_text="Sí.")
    LandingPage.objects.create(
        slug="ia-para-docentes",
        title="IA para docentes",
        description="Curso.",
        headline="Prepara tus clases con IA",
        form=form,
        published=True,
    )
    page = watched_page

    page.goto(f"{live_server.url}/l/ia-para-docentes/")

    # The nonced <style> applied: labels are bold blocks (the browser default is inline).
    label = page.locator("label").first
    assert label.evaluate("node => getComputedStyle(node).display") == "block"
    assert page.violations() == []


@pytest.mark.django_db(transaction=True)
def test_swagger_ui_renders_the_operations_under_the_strict_policy(
    live_server, watched_page, staff_user
):
    page = watched_page
    sign_in(page, live_server, "/admin/")

    page.goto(f"{live_server.url}/api/docs/")

    page.wait_for_selector(".opblock", timeout=30_000)
    assert page.locator(".opblock").count() > 10
    assert page.violations() == []


@pytest.mark.django_db(transaction=True)
def test_the_admin_login_locks_out_after_wrong_passwords_and_says_why(
    live_server, watched_page, staff_user, settings
):
    settings.AXES_FAILURE_LIMIT = 3
    page = watched_page
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    for _ in range(3):
        page.fill("#id_username", "ana")
        page.fill("#id_password", "no-es-esta")
        page.click("button[type=submit]")
        page.wait_for_load_state()

    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "ana")
    page.fill("#id_password", "pw-ana-1234")
    page.click("button[type=submit]")

    page.wait_for_selector("text=Demasiados intentos fallidos")
    assert page.url.startswith(f"{live_server.url}/admin/login/")
    page.goto(f"{live_server.url}/admin/")
    assert page.url.startswith(f"{live_server.url}/admin/login/")
    assert page.violations() == []


@pytest.mark.django_db(transaction=True)
def test_an_admin_signs_in_with_password_then_the_authenticator_code(
    live_server, watched_page, staff_user, settings
):
    settings.STAFF_2FA_REQUIRED = True
    device = TOTPDevice.objects.create(user=staff_user, name="CourseOps", confirmed=True)
    page = watched_page

    page.goto(f"{live_server.url}/admin/login/?next=/admin/marketing/lead/")
    page.fill("#id_username", "ana")
    page.fill("#id_password", "pw-ana-1234")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/2fa/verificar/**")

    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    page.fill("#id_token", f"{code:06d}")
    page.get_by_role("button", name="Verificar").click()

    page.wait_for_url(f"{live_server.url}/admin/marketing/lead/")
    page.wait_for_function("!document.documentElement.hasAttribute('x-cloak')")
    assert page.violations() == []
