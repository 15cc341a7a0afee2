"""Staff review a draft in a real browser: log in, open it, edit, approve; the edited
email is in the outbox."""

import pytest

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
