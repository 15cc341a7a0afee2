"""Staff review a draft in a real browser: log in, open it, edit, approve; the edited
email is in the outbox."""

import os
import shutil

import pytest
from django.db import connections

from courseops.messaging.models import OutboundMessage
from courseops.reviews.models import Draft, DraftStatus

# Playwright's sync API runs an event loop in this thread; the ORM calls here are plain
# synchronous test code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason="no Chromium at /usr/bin/chromium: run `make browser` to install it",
    ),
]


@pytest.fixture
def browser_page():
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(15_000)
        yield page
        browser.close()
        # While Playwright runs, Django sees a different context and opened its own
        # database connection for it; close it or the test database cannot be dropped.
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_staff_edit_and_approve_a_draft_and_the_edited_email_is_queued(
    live_server, browser_page, reviewer, email_draft
):
    draft = email_draft(subject="Bienvenida al curso de IA")
    page = browser_page

    page.goto(f"{live_server.url}/admin/login/?next=/admin/reviews/draft/")
    page.fill("#id_username", "rosa")
    page.fill("#id_password", "pw-rosa-1234")
    page.click("button[type=submit]")
    page.get_by_role("link", name="Bienvenida al curso de IA").click()

    assert page.frame_locator("iframe[sandbox]").locator("p").inner_text() == (
        "Hola Lucía, te esperamos el martes."
    )
    page.fill("#id_subject", "Bienvenida al curso de IA, Lucía")
    page.fill("#id_body", "<p>Hola Lucía, te esperamos el <strong>martes a las 19:00</strong>.</p>")
    page.click("button[name=_approve]")
    page.wait_for_url(f"{live_server.url}/admin/reviews/draft/")

    assert "Borrador aprobado." in page.content()
    draft.refresh_from_db()
    assert (draft.status, draft.decided_by) == (DraftStatus.APPLIED, reviewer)
    message = OutboundMessage.objects.get(idempotency_key=f"reviews.draft.{draft.pk}")
    assert message.subject == "Bienvenida al curso de IA, Lucía"
    assert "<strong>martes a las 19:00</strong>" in message.html_body
    assert Draft.objects.get(pk=draft.pk).generated_subject == "Bienvenida al curso de IA"
