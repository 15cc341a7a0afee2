from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from courseops.audit.models import AuditEntry
from courseops.messaging.models import OutboundMessage
from courseops.reviews import services
from courseops.reviews.models import Draft, DraftStatus, PolicyMode, ReviewPolicy
from courseops.reviews.rollout import set_kind_policy
from courseops.reviews.services import (
    DraftStateError,
    approve_draft,
    create_draft,
    edit_draft,
    reject_draft,
    retry_draft,
)

pytestmark = pytest.mark.django_db


def actions_of(draft):
    return list(
        AuditEntry.objects.filter(object_id=str(draft.pk), action__startswith="reviews.draft.")
        .order_by("id")
        .values_list("action", flat=True)
    )


def outbox_for(draft):
    return OutboundMessage.objects.filter(idempotency_key=f"reviews.draft.{draft.pk}")


def test_a_new_draft_waits_for_review_with_generated_and_current_text(email_draft):
    draft = email_draft(data={"tone": "cálido"})

    assert draft.status == DraftStatus.PENDING
    assert draft.subject == draft.generated_subject == "Bienvenida al curso"
    assert draft.body == draft.generated_body == "<p>Hola Lucía, te esperamos el martes.</p>"
    assert draft.data == draft.generated_data == {"tone": "cálido"}
    assert draft.context["student"] == {"first_name": "Lucía"}
    assert actions_of(draft) == ["reviews.draft.created"]
    assert not OutboundMessage.objects.exists()


def test_a_draft_remembers_its_target_and_the_ai_usage_that_wrote_it(staff_user, settings):
    from courseops.ai import generate

    settings.AI_PROVIDER = "offline"
    context = {"name": "Lucía", "plan": "Pro"}
    result = generate("welcome_email", context, requested_by="reviews-test")

    draft = create_draft(
        kind="demo_email",
        target=staff_user,
        subject=result.data["subject"],
        body=result.data["body_html"],
        context=context,
        ai_result=result,
    )

    draft.refresh_from_db()
    assert draft.target == staff_user
    assert draft.target_repr == str(staff_user)
    assert draft.ai_usage == result.usage
    assert draft.offline is True
    assert draft.subject == "¡Te damos la bienvenida, Lucía!"
    assert "<strong>Pro</strong>" in draft.body


def test_ai_html_is_sanitized_before_it_is_stored(email_draft):
    draft = email_draft(
        subject="Hola\r\nBcc: todos@example.com",
        body=(
            '<p onclick="steal()" style="color: red; position: fixed">Hola</p>'
            '<script>alert(1)</script><a href="javascript:alert(1)">clic</a>'
            '<a href="https://example.com/portal">portal</a><form><input name="x"></form>'
        ),
    )

    draft.refresh_from_db()
    assert draft.subject == "Hola Bcc: todos@example.com"  # one line: no header injection
    assert "script" not in draft.body
    assert "onclick" not in draft.body
    assert "javascript:" not in draft.body
    assert "<form" not in draft.body
    assert '<p style="color:red">Hola</p>' in draft.body
    assert '<a href="https://example.com/portal" rel="noopener noreferrer">portal</a>' in draft.body


def test_approving_with_edits_puts_the_edited_email_in_the_outbox(
    email_draft, reviewer, django_capture_on_commit_callbacks
):
    draft = email_draft()

    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(
            draft=draft,
            user=reviewer,
            subject="Bienvenida, Lucía",
            body="<p>Hola Lucía, te esperamos el <strong>martes a las 19:00</strong>.</p>",
            note="Añadí la hora",
        )

    draft.refresh_from_db()
    assert draft.status == DraftStatus.APPLIED
    assert draft.applied_at is not None
    assert draft.decided_by == reviewer
    assert draft.generated_subject == "Bienvenida al curso"  # the original is kept
    message = outbox_for(draft).get()
    assert message.recipient == "lucia@example.com"
    assert message.subject == "Bienvenida, Lucía"
    assert "martes a las 19:00" in message.html_body
    assert message.text_body.strip() == "Hola Lucía, te esperamos el martes a las 19:00."
    assert actions_of(draft) == [
        "reviews.draft.created",
        "reviews.draft.approved",
        "reviews.draft.applied",
    ]
    entry = AuditEntry.objects.get(object_id=str(draft.pk), action="reviews.draft.approved")
    assert entry.actor == reviewer
    assert entry.data["note"] == "Añadí la hora"
    assert entry.data["changes"]["subject"] == {
        "before": "Bienvenida al curso",
        "after": "Bienvenida, Lucía",
    }
    assert (
        "+<p>Hola Lucía, te esperamos el <strong>martes a las 19:00</strong>.</p>"
        in (entry.data["changes"]["body"]["diff"])
    )


def test_approving_twice_runs_the_action_once(
    email_draft, reviewer, django_capture_on_commit_callbacks
):
    draft = email_draft()
    stale_copy = Draft.objects.get(pk=draft.pk)

    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=draft, user=reviewer)
    with pytest.raises(DraftStateError, match="ya fue decidido"):
        approve_draft(draft=stale_copy, user=reviewer)

    assert outbox_for(draft).count() == 1
    assert actions_of(draft).count("reviews.draft.approved") == 1


def test_a_repeated_apply_task_queues_the_email_once(
    email_draft, reviewer, django_capture_on_commit_callbacks
):
    draft = email_draft()
    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=draft, user=reviewer)
    # A broker re-delivery after the action ran but before the status was recorded.
    Draft.objects.filter(pk=draft.pk).update(status=DraftStatus.APPROVED)

    services.apply_draft(draft_id=draft.pk)
    services.apply_draft(draft_id=draft.pk)

    assert outbox_for(draft).count() == 1
    assert Draft.objects.get(pk=draft.pk).status == DraftStatus.APPLIED


@pytest.mark.django_db(transaction=True)
def test_two_staff_approving_at_once_queue_one_email(email_draft, reviewer, staff_user):
    import threading

    draft = email_draft()
    barrier = threading.Barrier(2)
    outcomes = []

    def approve(user):
        barrier.wait()
        try:
            approve_draft(draft=Draft.objects.get(pk=draft.pk), user=user)
            outcomes.append("approved")
        except DraftStateError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(u,)) for u in (reviewer, staff_user)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["approved", "refused"]
    assert outbox_for(draft).count() == 1


def test_rejecting_needs_a_reason_and_changes_nothing_without_one(email_draft, reviewer):
    draft = email_draft()

    with pytest.raises(ValidationError, match="motivo"):
        reject_draft(draft=draft, user=reviewer, reason="  ")

    draft.refresh_from_db()
    assert draft.status == DraftStatus.PENDING
    assert actions_of(draft) == ["reviews.draft.created"]


def test_a_rejected_draft_keeps_the_reason_and_can_no_longer_be_approved(
    email_draft, reviewer, django_capture_on_commit_callbacks
):
    draft = email_draft()

    with django_capture_on_commit_callbacks(execute=True):
        reject_draft(draft=draft, user=reviewer, reason="Tono demasiado informal")
    with pytest.raises(DraftStateError):
        approve_draft(draft=draft, user=reviewer)

    draft.refresh_from_db()
    assert (draft.status, draft.decision_note) == (DraftStatus.REJECTED, "Tono demasiado informal")
    assert draft.decided_by == reviewer
    assert draft.decided_at is not None
    entry = AuditEntry.objects.get(object_id=str(draft.pk), action="reviews.draft.rejected")
    assert entry.data["reason"] == "Tono demasiado informal"
    assert not OutboundMessage.objects.exists()


def test_editing_records_a_diff_and_nothing_when_nothing_changed(email_draft, reviewer):
    draft = email_draft()

    edit_draft(draft=draft, user=reviewer, subject="Bienvenida al curso")  # unchanged
    edited = edit_draft(draft=draft, user=reviewer, body="<p>Hola Lucía, ¡nos vemos el martes!</p>")

    assert edited.body == "<p>Hola Lucía, ¡nos vemos el martes!</p>"
    assert edited.generated_body == "<p>Hola Lucía, te esperamos el martes.</p>"
    assert actions_of(draft) == ["reviews.draft.created", "reviews.draft.edited"]
    diff = AuditEntry.objects.get(action="reviews.draft.edited").data["changes"]["body"]["diff"]
    assert "-<p>Hola Lucía, te esperamos el martes.</p>" in diff
    assert "+<p>Hola Lucía, ¡nos vemos el martes!</p>" in diff


def test_staff_without_the_kinds_permission_can_neither_edit_nor_approve(email_draft, outsider):
    draft = email_draft()

    with pytest.raises(PermissionDenied):
        approve_draft(draft=draft, user=outsider)
    with pytest.raises(PermissionDenied):
        edit_draft(draft=draft, user=outsider, subject="Otra cosa")

    draft.refresh_from_db()
    assert (draft.status, draft.subject) == (DraftStatus.PENDING, "Bienvenida al curso")


def test_a_failed_action_marks_the_draft_and_it_can_be_fixed_and_retried(
    note_kind, staff_user, django_capture_on_commit_callbacks
):
    draft = create_draft(
        kind="test_note", target=None, subject="", body="Resumen", data={"fail": True}
    )

    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=draft, user=staff_user)
    draft.refresh_from_db()
    assert draft.status == DraftStatus.FAILED
    assert draft.last_error == "ApplyError: El destino rechazó la nota."
    assert note_kind.published == []

    with django_capture_on_commit_callbacks(execute=True):
        edit_draft(draft=draft, user=staff_user, data={"fail": False})
        retry_draft(draft=draft, user=staff_user)

    draft.refresh_from_db()
    assert (draft.status, draft.last_error, draft.apply_attempts) == (DraftStatus.APPLIED, "", 2)
    assert note_kind.published == [{"id": draft.pk, "body": "Resumen", "user": staff_user}]
    assert actions_of(draft)[-4:] == [
        "reviews.draft.failed",
        "reviews.draft.edited",
        "reviews.draft.retried",
        "reviews.draft.applied",
    ]


def test_a_plain_text_kind_keeps_its_body_as_written(note_kind):
    draft = create_draft(kind="test_note", target=None, subject="", body="a < b & c")

    assert draft.body == "a < b & c"


@pytest.fixture
def eager_retries(monkeypatch):
    """Eager Celery runs a task's retries in-process only when errors do not propagate."""
    from courseops.celery import app

    monkeypatch.setitem(app.conf, "task_eager_propagates", False)


def test_transient_failures_are_retried_by_the_task_until_the_action_succeeds(
    note_kind, staff_user, django_capture_on_commit_callbacks, eager_retries
):
    note_kind.flaky = 2
    draft = create_draft(kind="test_note", target=None, subject="", body="Resumen")

    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=draft, user=staff_user)

    draft.refresh_from_db()
    assert (draft.status, draft.apply_attempts) == (DraftStatus.APPLIED, 3)
    assert len(note_kind.published) == 1


def test_transient_failures_stop_after_the_last_retry_and_mark_the_draft_failed(
    note_kind, staff_user, django_capture_on_commit_callbacks, eager_retries
):
    from courseops.reviews.tasks import MAX_RETRIES

    note_kind.flaky = 99
    draft = create_draft(kind="test_note", target=None, subject="", body="Resumen")

    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=draft, user=staff_user)

    draft.refresh_from_db()
    assert (draft.status, draft.apply_attempts) == (DraftStatus.FAILED, MAX_RETRIES + 1)
    assert "El servicio no responde." in draft.last_error


def test_an_email_without_a_valid_recipient_fails_with_a_clear_error(
    email_draft, reviewer, django_capture_on_commit_callbacks
):
    draft = email_draft(recipient="no-es-un-correo")

    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=draft, user=reviewer)

    draft.refresh_from_db()
    assert draft.status == DraftStatus.FAILED
    assert "Dirección de correo no válida" in draft.last_error
    assert not OutboundMessage.objects.exists()


def test_the_recipient_falls_back_to_the_targets_email(
    email_draft, reviewer, staff_user, django_capture_on_commit_callbacks
):
    draft = email_draft(recipient=None, target=staff_user)

    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=draft, user=reviewer)

    assert outbox_for(draft).get().recipient == staff_user.email


def test_html_is_sanitized_again_before_it_is_sent(
    email_draft, reviewer, django_capture_on_commit_callbacks
):
    draft = email_draft()
    # Something wrote to the row without going through the services.
    Draft.objects.filter(pk=draft.pk).update(body='<p>Hola</p><img src=x onerror="alert(1)">')

    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=draft, user=reviewer)

    html = outbox_for(draft).get().html_body
    assert "Hola" in html
    assert "onerror" not in html


def test_an_auto_policy_approves_and_applies_at_once_as_an_automation(
    email_draft, staff_user, django_capture_on_commit_callbacks
):
    set_kind_policy(kind="demo_email", mode=PolicyMode.AUTO, user=staff_user)

    with django_capture_on_commit_callbacks(execute=True):
        draft = email_draft()

    draft.refresh_from_db()
    assert draft.status == DraftStatus.APPLIED
    assert draft.decided_automatically
    assert draft.decided_by is None
    assert outbox_for(draft).count() == 1
    approved = AuditEntry.objects.get(object_id=str(draft.pk), action="reviews.draft.approved")
    assert approved.actor is None
    assert approved.data["automatic"] is True


def test_changing_a_policy_is_audited_and_review_is_the_default(staff_user):
    assert ReviewPolicy.objects.get(kind="demo_email").mode == PolicyMode.REVIEW

    policy = set_kind_policy(kind="demo_email", mode=PolicyMode.AUTO, user=staff_user)

    assert ReviewPolicy.objects.get(kind="demo_email").mode == PolicyMode.AUTO
    entry = AuditEntry.objects.get(action="reviews.policy.changed", object_id=str(policy.pk))
    assert entry.actor == staff_user
    assert (entry.data["from"]["mode"], entry.data["to"]["mode"]) == ("review", "auto")
    with pytest.raises(ValidationError):
        set_kind_policy(kind="demo_email", mode="sometimes", user=staff_user)


def test_an_unknown_kind_is_refused():
    with pytest.raises(LookupError, match="no_such_kind"):
        create_draft(kind="no_such_kind", target=None, subject="x", body="y")


def test_approved_drafts_whose_task_was_lost_are_requeued_after_a_minute(
    email_draft, reviewer, django_capture_on_commit_callbacks
):
    draft = email_draft()
    approve_draft(draft=draft, user=reviewer)  # its on-commit task never runs: "lost"
    Draft.objects.filter(pk=draft.pk).update(dispatched_at=timezone.now() - timedelta(seconds=61))
    fresh = email_draft(recipient="otra@example.com")
    approve_draft(draft=fresh, user=reviewer)  # just approved: its task is still on its way

    with django_capture_on_commit_callbacks(execute=True):
        requeued = services.requeue_stale_drafts()
    with django_capture_on_commit_callbacks(execute=True):
        again = services.requeue_stale_drafts()

    assert (requeued, again) == ([draft.pk], [])
    assert Draft.objects.get(pk=draft.pk).status == DraftStatus.APPLIED
    assert Draft.objects.get(pk=fresh.pk).status == DraftStatus.APPROVED


def test_a_draft_whose_worker_died_while_applying_it_is_taken_over_at_once(
    email_draft, reviewer, django_capture_on_commit_callbacks
):
    from tests.core.test_liveness import dead_holder

    draft = email_draft()
    approve_draft(draft=draft, user=reviewer)
    # Its task started (claimed it, counted an attempt) a second ago; then kill -9.
    Draft.objects.filter(pk=draft.pk).update(held_by=dead_holder(), apply_attempts=1)
    assert services.apply_draft(draft_id=draft.pk).status == DraftStatus.APPROVED  # held

    with django_capture_on_commit_callbacks(execute=True):
        requeued = services.requeue_stale_drafts()

    assert requeued == [draft.pk]
    draft.refresh_from_db()
    assert (draft.status, draft.held_by, draft.apply_attempts) == (DraftStatus.APPLIED, "", 2)
    assert outbox_for(draft).count() == 1
    assert (
        AuditEntry.objects.filter(action="reviews.draft.applied", object_id=str(draft.pk)).count()
        == 1
    )


def test_a_draft_held_by_a_live_worker_is_left_to_it_and_not_applied_twice(
    email_draft, reviewer, django_capture_on_commit_callbacks
):
    from courseops.core import liveness

    draft = email_draft()
    approve_draft(draft=draft, user=reviewer)
    Draft.objects.filter(pk=draft.pk).update(
        held_by=liveness.me(), dispatched_at=timezone.now() - timedelta(minutes=5)
    )

    with django_capture_on_commit_callbacks(execute=True):
        requeued = services.requeue_stale_drafts()
    again = services.apply_draft(draft_id=draft.pk)  # a redelivered copy of its task

    assert requeued == []
    assert (again.status, again.apply_attempts) == (DraftStatus.APPROVED, 0)
    assert not outbox_for(draft).exists()


def test_the_reason_a_draft_was_taken_over_is_kept_for_staff(email_draft, reviewer):
    from tests.core.test_liveness import dead_holder

    draft = email_draft()
    approve_draft(draft=draft, user=reviewer)
    Draft.objects.filter(pk=draft.pk).update(held_by=dead_holder())

    services.requeue_stale_drafts()  # its task is enqueued; it has not run yet

    draft.refresh_from_db()
    assert (draft.status, draft.held_by) == (DraftStatus.APPROVED, "")
    assert draft.last_error == str(services.TAKEN_OVER)


def test_the_demo_loader_creates_one_pending_draft_however_often_it_runs(staff_user, settings):
    from courseops.reviews.demo import DEMO_RECIPIENT, load_reviews_demo

    settings.AI_PROVIDER = "offline"
    load_reviews_demo(staff=staff_user)
    load_reviews_demo(staff=staff_user)

    draft = Draft.objects.get(kind="demo_email", recipient=DEMO_RECIPIENT)
    assert draft.status == DraftStatus.PENDING
    assert draft.ai_usage is not None
    assert draft.context["name"] == "Lucía"


def test_the_demo_loader_does_not_call_a_paid_provider(staff_user, settings):
    from courseops.ai.models import AIUsage
    from courseops.reviews.demo import DEMO_RECIPIENT, load_reviews_demo

    settings.AI_PROVIDER = "openai"
    load_reviews_demo(staff=staff_user)

    draft = Draft.objects.get(kind="demo_email", recipient=DEMO_RECIPIENT)
    assert draft.ai_usage is None
    assert "Lucía" in draft.subject
    assert not AIUsage.objects.exists()


def test_the_stale_draft_sweeper_is_declared_as_a_periodic_task():
    from courseops.celery import app
    from courseops.core.schedules import declared

    periodic = declared()["reviews.requeue_stale_drafts"]

    assert periodic.task in app.tasks
    assert periodic.every == timedelta(minutes=1)


def test_the_plain_text_alternative_keeps_paragraphs_lists_and_link_addresses():
    from courseops.reviews.sanitize import email_text

    html = (
        '<p>Hola:</p><p>Entra a <a href="https://example.com/p?a=1&amp;b=2">tu portal</a>'
        " &amp; mira.<br>Saludos</p><ul><li>uno</li><li>dos</li></ul>"
    )

    assert email_text(html) == (
        "Hola:\n\nEntra a tu portal (https://example.com/p?a=1&b=2) & mira.\nSaludos\n\n"
        "- uno\n- dos"
    )
