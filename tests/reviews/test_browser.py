"""Staff review a draft in a real browser: log in, open it, edit its email in Markdown
beside the live preview (desktop and mobile widths), approve; the edited email is in the
outbox."""

import pytest
from django.conf import settings

from courseops.messaging.models import OutboundMessage
from courseops.reviews.models import Draft, DraftStatus

pytestmark = pytest.mark.browser


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

    # The AI's HTML opens as Markdown, and the preview shows the email as it is now.
    assert page.input_value("#id_body_markdown") == "Hola Lucía, te esperamos el martes."
    desktop = page.frame_locator("iframe[data-width='640']")
    mobile = page.frame_locator("iframe[data-width='375']")
    assert desktop.locator("p").inner_text() == "Hola Lucía, te esperamos el martes."
    page.fill("#id_subject", "Bienvenida al curso de IA, Lucía")
    page.fill("#id_body_markdown", "Hola Lucía, te esperamos el **martes a las 19:00**.")
    mobile.locator("strong", has_text="martes a las 19:00").wait_for()
    desktop.locator("strong", has_text="martes a las 19:00").wait_for()
    assert page.locator("iframe[data-width='375']").bounding_box()["width"] == 375
    assert page.locator("iframe[data-width='640']").get_attribute("sandbox") == ""
    page.locator(".email-preview").scroll_into_view_if_needed()
    folder = settings.VAR_DIR / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=folder / "draft-editor.png", full_page=True)
    page.click("button[name=_approve]")
    page.wait_for_url(f"{live_server.url}/admin/reviews/draft/")

    assert "Borrador aprobado." in page.content()
    draft.refresh_from_db()
    assert (draft.status, draft.decided_by) == (DraftStatus.APPLIED, reviewer)
    message = OutboundMessage.objects.get(idempotency_key=f"reviews.draft.{draft.pk}")
    assert message.subject == "Bienvenida al curso de IA, Lucía"
    assert "<strong>martes a las 19:00</strong>" in message.html_body
    assert Draft.objects.get(pk=draft.pk).generated_subject == "Bienvenida al curso de IA"
