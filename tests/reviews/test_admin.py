from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courseops.audit.models import AuditEntry
from courseops.messaging.models import OutboundMessage
from courseops.reviews.email_editor import html_to_markdown
from courseops.reviews.models import Draft, DraftStatus, PolicyMode, ReviewPolicy
from courseops.reviews.permissions import ensure_kind_permissions
from courseops.reviews.services import approve_draft, create_draft

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:reviews_draft_changelist")


def change_url(draft):
    return reverse("admin:reviews_draft_change", args=[draft.pk])


def form_post(draft, **fields):
    """What the change form posts when staff press a button (an email's text as the
    Markdown it opened with; other kinds' body as it is)."""
    data = {
        "subject": draft.subject,
        "body": draft.body,
        "body_markdown": html_to_markdown(draft.body),
        "data": "null",
        "decision_note": "",
        "_continue": "1",
    }
    data.update(fields)
    return data


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


def changelist_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    return len(queries), response


def test_the_queue_loads_in_the_same_number_of_queries_for_2_and_20_drafts(
    reviewer_client, email_draft, reviewer
):
    for n in range(2):
        email_draft(subject=f"Borrador {n}")
    approve_draft(draft=Draft.objects.first(), user=reviewer)  # a decided_by to join
    few, response = changelist_queries(reviewer_client)
    assert response.content.count(b'name="_selected_action"') == 2

    for n in range(18):
        email_draft(subject=f"Borrador extra {n}")
    many, response = changelist_queries(reviewer_client)

    assert response.content.count(b'name="_selected_action"') == 20
    assert many == few


def test_staff_see_only_the_kinds_they_may_review(
    client, reviewer, outsider, email_draft, note_kind
):
    email = email_draft(subject="Correo visible")
    note = create_draft(kind="test_note", target=None, subject="Nota oculta", body="x")

    client.force_login(reviewer)
    listing = client.get(CHANGELIST).content.decode()
    assert "Correo visible" in listing
    assert "Nota oculta" not in listing
    assert client.get(change_url(note)).status_code == 302  # "does not exist" redirect
    assert client.get(change_url(email)).status_code == 200

    client.force_login(outsider)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(change_url(email)).status_code == 403


def test_staff_without_the_kinds_permission_cannot_approve_by_posting(
    client, reviewer, email_draft, note_kind
):
    note = create_draft(kind="test_note", target=None, subject="Nota", body="x")
    client.force_login(reviewer)

    response = client.post(change_url(note), form_post(note, _approve="1"))

    assert response.status_code == 302
    note.refresh_from_db()
    assert note.status == DraftStatus.PENDING
    assert note_kind.published == []


def test_the_change_page_shows_context_preview_history_and_ai_usage(
    reviewer_client, email_draft, settings
):
    from courseops.ai import generate

    settings.AI_PROVIDER = "offline"
    result = generate("welcome_email", {"name": "Lucía", "plan": "Pro"})
    draft = email_draft(body='<p>Hola "Lucía"</p><script>alert(1)</script>', ai_result=result)

    page = reviewer_client.get(change_url(draft)).content.decode()

    assert "&quot;first_name&quot;: &quot;Lucía&quot;" in page  # context, pretty JSON
    # The email is edited as Markdown, previewed live (reviews/email_preview.js).
    assert 'data-preview-url="/admin/reviews/draft/email-preview/"' in page
    assert "reviews/email_preview.js" in page
    assert "Hola &quot;Lucía&quot;</textarea>" in page
    assert "<script>alert(1)</script>" not in page
    assert "Creado" in page  # the history from the audit log
    assert f"welcome_email v{result.usage.prompt_version}" in page
    assert 'name="_approve"' in page
    assert 'name="_reject"' in page
    assert "Plantilla (sin IA)" in page  # who wrote it, in words (offline provider)
    assert "(&#x27;template&#x27;" not in page


def test_saving_edits_from_the_change_page_is_audited_with_a_diff(reviewer_client, email_draft):
    draft = email_draft()

    response = reviewer_client.post(
        change_url(draft), form_post(draft, subject="Bienvenida, Lucía")
    )

    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.subject, draft.status) == ("Bienvenida, Lucía", DraftStatus.PENDING)
    entry = AuditEntry.objects.get(action="reviews.draft.edited")
    assert entry.data["changes"]["subject"]["after"] == "Bienvenida, Lucía"


def test_approving_from_the_change_page_sends_the_edited_text(
    reviewer_client, reviewer, email_draft, django_capture_on_commit_callbacks
):
    draft = email_draft()

    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer_client.post(
            change_url(draft),
            form_post(draft, body_markdown="Hola Lucía, **¡editado por Rosa!**", _approve="1"),
        )

    assert response.status_code == 302
    assert response.url == CHANGELIST
    draft.refresh_from_db()
    assert (draft.status, draft.decided_by) == (DraftStatus.APPLIED, reviewer)
    assert "<strong>¡editado por Rosa!</strong>" in OutboundMessage.objects.get().html_body


def test_a_second_approval_click_shows_an_error_and_queues_nothing_more(
    reviewer_client, email_draft, django_capture_on_commit_callbacks
):
    draft = email_draft()
    with django_capture_on_commit_callbacks(execute=True):
        reviewer_client.post(change_url(draft), form_post(draft, _approve="1"))

    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer_client.post(
            change_url(draft), form_post(draft, _approve="1"), follow=True
        )

    assert "ya fue decidido" in response.content.decode()
    assert OutboundMessage.objects.count() == 1


def test_rejecting_from_the_change_page_requires_a_note(reviewer_client, email_draft):
    draft = email_draft()

    response = reviewer_client.post(change_url(draft), form_post(draft, _reject="1"))
    assert response.status_code == 200
    assert "Indica el motivo del rechazo." in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == DraftStatus.PENDING

    response = reviewer_client.post(
        change_url(draft), form_post(draft, _reject="1", decision_note="Datos incorrectos")
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.decision_note) == (DraftStatus.REJECTED, "Datos incorrectos")


def test_invalid_json_data_is_a_form_error_not_a_500(reviewer_client, email_draft):
    draft = email_draft(data={"preguntas": 3})

    response = reviewer_client.post(change_url(draft), form_post(draft, data="{no es json"))

    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.data == {"preguntas": 3}


def test_a_decided_draft_is_read_only(reviewer_client, reviewer, email_draft):
    draft = approve_draft(draft=email_draft(), user=reviewer)

    page = reviewer_client.get(change_url(draft)).content.decode()

    assert 'name="subject"' not in page
    assert 'name="_approve"' not in page


def test_bulk_approve_approves_pending_drafts_and_skips_decided_ones(
    reviewer_client, reviewer, email_draft, django_capture_on_commit_callbacks
):
    pending = [email_draft(recipient=f"alumno{n}@example.com") for n in range(3)]
    decided = approve_draft(draft=email_draft(), user=reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer_client.post(
            CHANGELIST,
            {
                "action": "approve_selected",
                "_selected_action": [d.pk for d in [*pending, decided]],
            },
            follow=True,
        )

    content = response.content.decode()
    assert "3 borradores aprobados." in content
    assert f"#{decided.pk}" in content  # reported as skipped
    assert Draft.objects.filter(status=DraftStatus.APPLIED).count() == 3
    assert OutboundMessage.objects.count() == 3


def test_bulk_reject_asks_for_a_reason_then_rejects(reviewer_client, email_draft):
    drafts = [email_draft(), email_draft()]
    selected = [d.pk for d in drafts]

    confirm = reviewer_client.post(
        CHANGELIST, {"action": "reject_selected", "_selected_action": selected}
    )
    assert confirm.status_code == 200
    assert "Motivo del rechazo" in confirm.content.decode()
    assert not Draft.objects.filter(status=DraftStatus.REJECTED).exists()

    reviewer_client.post(
        CHANGELIST,
        {"action": "reject_selected", "_selected_action": selected, "reason": "Duplicados"},
    )
    assert set(Draft.objects.values_list("status", "decision_note")) == {
        (DraftStatus.REJECTED, "Duplicados")
    }


def test_the_queue_filters_by_age_kind_and_status_and_searches(reviewer_client, email_draft):
    old = email_draft(subject="Correo antiguo")
    Draft.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    email_draft(subject="Correo de hoy")

    def listed(**params):
        return reviewer_client.get(CHANGELIST, params).content.decode()

    assert "Correo antiguo" in listed(age="older")
    assert "Correo de hoy" not in listed(age="older")
    assert "Correo de hoy" in listed(age="day", kind="demo_email", status="pending")
    assert "Correo antiguo" not in listed(q="hoy")


def test_kind_permissions_and_default_policies_are_created_once(note_kind):
    ensure_kind_permissions()
    ReviewPolicy.objects.filter(kind="test_note").update(mode=PolicyMode.AUTO)
    ensure_kind_permissions()

    assert Permission.objects.filter(codename="review_test_note").count() == 1
    assert ReviewPolicy.objects.get(kind="test_note").mode == PolicyMode.AUTO
    assert ReviewPolicy.objects.get(kind="demo_email").mode == PolicyMode.REVIEW


def test_staff_change_a_policy_in_the_admin_and_it_is_audited(admin_client):
    policy = ReviewPolicy.objects.get(kind="demo_email")

    response = admin_client.post(
        reverse("admin:reviews_reviewpolicy_change", args=[policy.pk]),
        {"mode": "auto", "percent": "0"},
    )

    assert response.status_code == 302
    assert ReviewPolicy.objects.get(pk=policy.pk).mode == PolicyMode.AUTO
    assert AuditEntry.objects.filter(action="reviews.policy.changed").count() == 1


def test_a_failed_draft_is_fixed_and_retried_from_its_page(
    admin_client, admin_user, note_kind, django_capture_on_commit_callbacks
):
    draft = create_draft(
        kind="test_note", target=None, subject="Resumen", body="Texto", data={"fail": True}
    )
    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=draft, user=admin_user)
    draft.refresh_from_db()
    assert draft.status == DraftStatus.FAILED
    assert 'name="_retry"' in admin_client.get(change_url(draft)).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            change_url(draft), form_post(draft, data='{"fail": false}', _retry="1")
        )

    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.data) == (DraftStatus.APPLIED, {"fail": False})
    assert [item["id"] for item in note_kind.published] == [draft.pk]


def test_an_email_draft_page_shows_no_empty_structured_data_box(reviewer_client, email_draft):
    page = reviewer_client.get(change_url(email_draft())).content.decode()

    assert 'name="subject"' in page
    assert 'name="data"' not in page


def test_a_draft_with_structured_data_lets_staff_edit_it(reviewer_client, email_draft):
    page = reviewer_client.get(change_url(email_draft(data={"preguntas": 3}))).content.decode()

    assert 'name="data"' in page


def test_an_untouched_email_keeps_its_exact_html_when_saved(reviewer_client, email_draft):
    draft = email_draft(body='<p>Hola <a href="https://example.com/x_y">Lucía</a></p>')
    before = Draft.objects.get(pk=draft.pk).body

    reviewer_client.post(change_url(draft), form_post(draft, subject="Otro asunto"))

    draft.refresh_from_db()
    assert (draft.subject, draft.body) == ("Otro asunto", before)


def test_a_decided_email_draft_shows_its_preview_and_no_editor(reviewer_client, email_draft):
    draft = email_draft()
    Draft.objects.filter(pk=draft.pk).update(status=DraftStatus.REJECTED)

    page = reviewer_client.get(change_url(draft)).content.decode()

    assert 'srcdoc="&lt;p&gt;Hola Lucía, te esperamos el martes.&lt;/p&gt;"' in page
    assert "body_markdown" not in page


def test_the_live_preview_is_the_email_as_sent_for_reviewers_only(
    reviewer_client, client, outsider
):
    url = reverse("admin:reviews_draft_email_preview")

    response = reviewer_client.post(url, {"markdown": "Hola **Lucía**\n\n<script>x()</script>"})

    assert response.status_code == 200
    html = response.json()["html"]
    assert "<strong>Lucía</strong>" in html
    assert "<script>" not in html
    client.force_login(outsider)
    assert client.post(url, {"markdown": "x"}).status_code == 403
    assert reviewer_client.get(url).status_code == 405


def test_the_ai_html_opens_as_markdown_staff_can_read():
    html = (
        "<h2>¡Bienvenida!</h2><p>Hola <strong>Lucía</strong>, tu curso empieza el "
        '<em>martes</em>.</p><ul><li>Entra en <a href="https://example.com/a_b">el portal</a>'
        "</li><li>Mira la lección 1</li></ul>"
    )

    assert html_to_markdown(html) == (
        "## ¡Bienvenida!\n\nHola **Lucía**, tu curso empieza el *martes*.\n\n"
        "- Entra en [el portal](https://example.com/a_b)\n- Mira la lección 1"
    )
