"""An automation's message in the review arm waits for staff in the review queue: held in
the outbox with a draft; approving sends it once (with edits), rejecting cancels it, and
one approved after its moment passed is withdrawn and dropped with the reason."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from courseops.audit.models import AuditEntry
from courseops.messaging.models import OutboundMessage, Status
from courseops.messaging.services import queue_email, queue_sms
from courseops.reviews.automations import Automation, register_automation, unregister_automation
from courseops.reviews.held import KIND
from courseops.reviews.models import Arm, Draft, DraftStatus, PolicyMode
from courseops.reviews.rollout import bucket, set_automation_policy
from courseops.reviews.services import DraftWithdrawn, approve_draft, reject_draft
from courseops.reviews.shadow_log import arm_figures

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def demo_flow(db):
    automation = register_automation(Automation(name="demo_flow", label="Flujo de prueba"))
    yield automation
    unregister_automation(automation.name)


def queue(key, *, to="lucia@example.com", **kwargs):
    kwargs.setdefault("subject", "Te esperamos")
    kwargs.setdefault("text", "Hola Lucía, empieza a las 11:00.")
    return queue_email(to=to, idempotency_key=key, automation="demo_flow", **kwargs)


def held_draft(message):
    return Draft.objects.get(kind=KIND, object_id=str(message.pk))


def in_review(staff_user, mode=PolicyMode.REVIEW, percent=0):
    set_automation_policy(automation="demo_flow", mode=mode, percent=percent, user=staff_user)


def test_in_review_the_message_is_held_and_waits_in_the_review_queue(demo_flow, staff_user, at):
    in_review(staff_user)

    message = at(MONDAY, queue, "demo.1")

    message.refresh_from_db()
    assert message.status == Status.HELD
    assert "espera la aprobación del equipo" in message.last_error
    assert mail.outbox == []
    draft = held_draft(message)
    assert (draft.status, draft.arm, draft.automation) == (
        DraftStatus.PENDING,
        Arm.REVIEW,
        "demo_flow",
    )
    assert (draft.subject, draft.body) == ("Te esperamos", "Hola Lucía, empieza a las 11:00.")
    assert draft.person_key == message.person_key
    # The sweeper does not hand a held row to a worker again.
    from courseops.messaging.services import dispatch_due_messages

    assert at(MONDAY + timedelta(hours=1), dispatch_due_messages) == 0


def test_approving_it_sends_it_once_and_the_decision_is_counted_in_the_review_arm(
    demo_flow, staff_user, at
):
    in_review(staff_user)
    message = at(MONDAY, queue, "demo.1")

    at(MONDAY + timedelta(minutes=5), approve_draft, draft=held_draft(message), user=staff_user)

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert [m.subject for m in mail.outbox] == ["Te esperamos"]
    assert held_draft(message).status == DraftStatus.APPLIED
    assert AuditEntry.objects.filter(action="messaging.message.released").count() == 1
    figures = arm_figures(start=MONDAY, end=MONDAY + timedelta(days=1), automation="demo_flow")
    assert (figures[Arm.REVIEW].decided_by_staff, figures[Arm.REVIEW].approved_unedited) == (1, 1)


def test_staff_edits_go_out_as_edited(demo_flow, staff_user, at):
    in_review(staff_user)
    message = at(MONDAY, queue, "demo.1")

    at(
        MONDAY + timedelta(minutes=5),
        approve_draft,
        draft=held_draft(message),
        user=staff_user,
        subject="Te esperamos el martes",
        body="Hola Lucía, empieza a las 12:00.",
    )

    assert mail.outbox[0].subject == "Te esperamos el martes"
    assert "12:00" in mail.outbox[0].body
    html = mail.outbox[0].alternatives[0][0]
    assert "<p>Hola Lucía, empieza a las 12:00.</p>" in html


def test_rejecting_it_cancels_the_message_with_the_reason(demo_flow, staff_user, at):
    in_review(staff_user)
    message = at(MONDAY, queue, "demo.1")

    at(MONDAY, reject_draft, draft=held_draft(message), user=staff_user, reason="Tono raro")

    message.refresh_from_db()
    assert message.status == Status.CANCELED
    assert message.last_error == "Rechazado en revisión: Tono raro"
    assert mail.outbox == []


def test_approved_after_its_deadline_it_is_withdrawn_and_dropped_never_sent_late(
    demo_flow, staff_user, at
):
    in_review(staff_user)
    message = at(MONDAY, queue, "demo.1", expires_at=MONDAY + timedelta(minutes=10))

    with pytest.raises(DraftWithdrawn, match="Su momento pasó"):
        at(MONDAY + timedelta(minutes=11), approve_draft, draft=held_draft(message),
           user=staff_user)  # fmt: skip

    message.refresh_from_db()
    assert message.status == Status.DROPPED
    assert message.last_error.startswith("Retirado en revisión: Su momento pasó")
    assert held_draft(message).status == DraftStatus.WITHDRAWN
    assert mail.outbox == []


def test_a_message_released_in_time_but_sent_after_its_deadline_is_dropped(
    demo_flow, staff_user, at
):
    # Approved a minute before its deadline; its send comes after it (a busy queue).
    in_review(staff_user)
    message = at(MONDAY, queue, "demo.1", expires_at=MONDAY + timedelta(minutes=10))
    from courseops.messaging.services import deliver_message

    with pytest.MonkeyPatch.context() as patch:
        # The apply task runs; its send task is lost (the sweeper sends it later).
        patch.setattr("courseops.messaging.services.outbox._enqueue_on_commit", lambda *a: None)
        at(MONDAY + timedelta(minutes=9), approve_draft, draft=held_draft(message), user=staff_user)
    at(MONDAY + timedelta(minutes=12), deliver_message, message_id=message.pk, max_attempts=3,
       retry_delay=lambda attempts: timedelta(minutes=1))  # fmt: skip

    message.refresh_from_db()
    assert message.status == Status.DROPPED
    assert "Su momento pasó" in message.last_error
    assert mail.outbox == []


def test_at_n_percent_each_person_always_falls_in_the_same_arm(demo_flow, staff_user, at):
    in_review(staff_user, mode=PolicyMode.PERCENT, percent=50)
    emails = [f"persona{n}@example.com" for n in range(8)]

    first = [at(MONDAY, queue, f"a.{n}", to=email) for n, email in enumerate(emails)]
    second = [at(MONDAY, queue, f"b.{n}", to=email) for n, email in enumerate(emails)]

    automatic = {e for e in emails if bucket("automation:demo_flow", f"email:{e}") < 50}
    assert automatic  # people on both sides
    assert automatic != set(emails)
    for rows in (first, second):
        statuses = dict(
            OutboundMessage.objects.filter(pk__in=[m.pk for m in rows]).values_list(
                "recipient", "status"
            )
        )
        assert statuses == {e: Status.SENT if e in automatic else Status.HELD for e in emails}
    assert Draft.objects.filter(kind=KIND).count() == 2 * (len(emails) - len(automatic))


def test_fully_automatic_it_goes_without_a_draft(demo_flow, staff_user, at):
    in_review(staff_user, mode=PolicyMode.AUTO)

    message = at(MONDAY, queue, "demo.1")

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert not Draft.objects.filter(kind=KIND).exists()


def test_an_sms_is_held_too_its_draft_names_the_person_not_the_number(demo_flow, staff_user, at):
    in_review(staff_user)

    message = at(
        MONDAY,
        queue_sms,
        to="+525511112222",
        idempotency_key="sms.1",
        body="Empieza en 10 minutos",
        automation="demo_flow",
    )

    message.refresh_from_db()
    assert message.status == Status.HELD
    draft = held_draft(message)
    assert draft.body == "Empieza en 10 minutos"
    assert "5511112222" not in draft.target_repr
    at(MONDAY, approve_draft, draft=draft, user=staff_user)
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_moving_the_rollout_to_automatic_releases_what_it_held_for_those_people(
    demo_flow, staff_user, at
):
    in_review(staff_user)
    emails = [f"persona{n}@example.com" for n in range(8)]
    messages = [at(MONDAY, queue, f"a.{n}", to=email) for n, email in enumerate(emails)]
    automatic = {e for e in emails if bucket("automation:demo_flow", f"email:{e}") < 50}

    at(MONDAY + timedelta(hours=1), in_review, staff_user, PolicyMode.PERCENT, 50)

    statuses = dict(
        OutboundMessage.objects.filter(pk__in=[m.pk for m in messages]).values_list(
            "recipient", "status"
        )
    )
    assert statuses == {e: Status.SENT if e in automatic else Status.HELD for e in emails}
    released = Draft.objects.filter(kind=KIND, decided_automatically=True)
    assert set(released.values_list("recipient", flat=True)) == automatic
    assert set(released.values_list("status", flat=True)) == {DraftStatus.APPLIED}


def test_staff_read_a_held_message_in_the_review_queue_and_its_page(
    demo_flow, staff_user, client, at
):
    from django.urls import reverse

    in_review(staff_user)
    message = at(MONDAY, queue, "demo.1")
    client.force_login(staff_user)

    queue_page = client.get(reverse("admin:reviews_draft_changelist"))
    page = client.get(reverse("admin:reviews_draft_change", args=[held_draft(message).pk]))

    assert queue_page.status_code == 200
    assert "Mensaje de una automatización (en revisión)" in queue_page.content.decode()
    assert page.status_code == 200
    assert "Hola Lucía, empieza a las 11:00." in page.content.decode()


def test_a_held_messages_sign_in_links_stay_out_of_its_draft_and_go_out_when_approved_edited(
    demo_flow, staff_user, client, django_user_model, at
):
    from django.contrib.auth.models import Permission
    from django.core import signing
    from django.urls import reverse

    from courseops.reviews.permissions import ensure_kind_permissions

    in_review(staff_user)
    token = signing.dumps({"s": 1, "e": "abc"}, salt="students.portal.sign-in")
    sign_in = f"https://example.com/portal/acceso/{token}/"
    unsubscribe = "https://example.com/baja/?token=UNSUB-SECRET-123"
    message = at(MONDAY, queue, "demo.1", text=f"Entra: {sign_in}\nBaja: {unsubscribe}")
    draft = held_draft(message)

    assert (
        draft.body
        == draft.generated_body
        == "Entra: https://example.com/portal/acceso/[token-1]/\nBaja: https://example.com/baja/?token=[token-2]"
    )
    ensure_kind_permissions()
    reviewer = django_user_model.objects.create_user(username="rev", password="x", is_staff=True)
    reviewer.user_permissions.add(Permission.objects.get(codename=f"review_{KIND}"))
    client.force_login(reviewer)
    page = client.get(reverse("admin:reviews_draft_change", args=[draft.pk])).content.decode()
    assert token not in page
    assert "UNSUB-SECRET-123" not in page
    assert "[token-1]" in page

    at(
        MONDAY + timedelta(minutes=5),
        approve_draft,
        draft=draft,
        user=staff_user,
        body=draft.body.replace("Entra:", "Entra hoy:"),
    )

    [sent] = mail.outbox
    assert f"Entra hoy: {sign_in}" in sent.body
    assert unsubscribe in sent.body
    assert "[token" not in sent.body
    assert sign_in in sent.alternatives[0][0]
    message.refresh_from_db()
    assert "[token" not in message.text_body
    assert sign_in in message.text_body
    approved = AuditEntry.objects.get(action="reviews.draft.approved")
    assert "Entra hoy:" in str(approved.data["changes"])
    assert token not in str(approved.data)
    assert "UNSUB-SECRET-123" not in str(approved.data)


@pytest.mark.parametrize("decision", ["reject", "withdraw"])
def test_a_draft_decided_while_its_batch_records_the_message_as_held_still_closes_it(
    demo_flow, staff_user, at, decision
):
    from courseops.messaging import hooks
    from courseops.messaging.services import deliver_message
    from courseops.reviews.services import withdraw_if_stale

    in_review(staff_user)
    message = at(MONDAY, queue, "demo.1")
    OutboundMessage.objects.filter(pk=message.pk).update(status=Status.QUEUED)

    def decide_meanwhile(messages):
        # The batch has claimed the row (it is being sent) and read its draft as waiting.
        assert OutboundMessage.objects.get(pk=message.pk).status == Status.SENDING
        draft = held_draft(message)
        if decision == "reject":
            reject_draft(draft=draft, user=staff_user, reason="Tono raro")
        else:  # its moment passed (the batch read it in time)
            OutboundMessage.objects.filter(pk=message.pk).update(
                expires_at=MONDAY + timedelta(minutes=1)
            )
            assert withdraw_if_stale(draft=draft)
        assert held_draft(message).status != DraftStatus.PENDING
        return {}

    hooks.register_rollout_check(decide_meanwhile)
    try:
        at(
            MONDAY + timedelta(minutes=5),
            deliver_message,
            message_id=message.pk,
            max_attempts=3,
            retry_delay=lambda attempts: timedelta(minutes=1),
        )
    finally:
        hooks._ROLLOUT_CHECKS.remove(decide_meanwhile)

    message.refresh_from_db()
    expected = {"reject": Status.CANCELED, "withdraw": Status.DROPPED}[decision]
    assert message.status == expected
    assert mail.outbox == []
