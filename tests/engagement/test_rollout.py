"""Nudges' and FAQ answers' rollout, mode by mode: what is drafted, what is sent and what
the shadow log shows; the shadow period ending; nothing queued escapes a later shadow."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from courseops.audit.models import AuditEntry
from courseops.messaging.models import OutboundMessage, Status
from courseops.messaging.services import dispatch_due_messages
from courseops.reviews.models import Arm, Draft, DraftStatus, PolicyMode
from courseops.reviews.rollout import set_automation_policy, set_kind_policy
from courseops.reviews.services import approve_draft
from courseops.reviews.shadow_log import shadow_log
from engagement.models import ActivityKind, Nudge, NudgeRule, Question
from engagement.services.activity import Activity, record_activity
from engagement.services.faq import ask_question
from engagement.services.nudges import scan_rules
from tests.engagement.conftest import NOW
from tests.engagement.test_faq import articles  # noqa: F401  (the knowledge base)
from tests.rollout_helpers import NAMES, automatic_under

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _only_inactivity_rule(db):
    NudgeRule.objects.exclude(name="Inactivo 7 días").update(active=False)


def inactive(student):
    record_activity(
        Activity(
            student=student,
            kind=ActivityKind.SIGN_IN,
            occurred_at=NOW - timedelta(days=10),
            source="api",
        )
    )
    return student


def scan(capture, at=NOW):
    with time_machine.travel(at, tick=False), capture(execute=True):
        return scan_rules()


# --- Nudges --------------------------------------------------------------------------------


def test_nudges_in_shadow_are_drafted_and_logged_never_sent(
    student, staff_user, django_capture_on_commit_callbacks
):
    set_kind_policy(kind="nudge_inactive", mode=PolicyMode.AUTO, user=staff_user)
    set_automation_policy(automation="nudges", mode=PolicyMode.SHADOW, user=staff_user)
    inactive(student)

    assert scan(django_capture_on_commit_callbacks) == 1

    draft = Draft.objects.get()
    assert (draft.kind, draft.status, draft.arm) == ("nudge_inactive", "shadow", "shadow")
    assert "1 semana" in draft.body
    assert not OutboundMessage.objects.exists()
    assert Nudge.objects.get().status != "sent"
    log = shadow_log(automation="nudges", start=NOW - timedelta(hours=1), end=NOW)
    assert log.shadow_drafts == 0  # drafted at NOW: the period's end is not in it
    log = shadow_log(automation="nudges", start=NOW, end=NOW + timedelta(hours=1))
    assert (log.shadow_drafts, log.sent_automatically) == (1, 0)
    assert log.people[0].person == student.email


def test_nudges_in_review_wait_for_staff(student, django_capture_on_commit_callbacks):
    inactive(student)
    scan(django_capture_on_commit_callbacks)

    draft = Draft.objects.get()
    assert (draft.status, draft.arm, draft.automation) == ("pending", "review", "nudges")
    assert not OutboundMessage.objects.exists()


def test_nudges_at_n_percent_go_out_for_the_same_people_and_wait_for_the_others(
    make_student, staff_user, django_capture_on_commit_callbacks
):
    set_kind_policy(kind="nudge_inactive", mode=PolicyMode.AUTO, user=staff_user)
    set_automation_policy(automation="nudges", mode=PolicyMode.PERCENT, percent=50, user=staff_user)
    students = [inactive(make_student(email=f"{name}@example.com")) for name in NAMES]
    automatic = automatic_under("automation:nudges", 50, [s.email for s in students])

    scan(django_capture_on_commit_callbacks)

    for draft in Draft.objects.all():
        expected = ("applied", "auto") if draft.recipient in automatic else ("pending", "review")
        assert (draft.status, draft.arm) == expected, draft.recipient
    sent = set(
        OutboundMessage.objects.filter(status=Status.SENT).values_list("recipient", flat=True)
    )
    assert sent == automatic
    assert {m.to[0] for m in mail.outbox} == automatic


def test_nudges_fully_automatic_are_sent_without_review(
    student, staff_user, django_capture_on_commit_callbacks
):
    set_kind_policy(kind="nudge_inactive", mode=PolicyMode.AUTO, user=staff_user)
    inactive(student)

    scan(django_capture_on_commit_callbacks)

    message = OutboundMessage.objects.get()
    assert (message.automation, message.status) == ("nudges", Status.SENT)
    assert Nudge.objects.get().status == "sent"
    assert [m.to for m in mail.outbox] == [[student.email]]


def test_a_nudge_waiting_for_quiet_hours_to_end_stays_in_shadow_if_the_shadow_began_meanwhile(
    student, staff_user, django_capture_on_commit_callbacks
):
    set_kind_policy(kind="nudge_inactive", mode=PolicyMode.AUTO, user=staff_user)
    inactive(student)
    late_evening = NOW.replace(hour=5)  # 23:00 in Mexico City: sent at 08:00
    scan(django_capture_on_commit_callbacks, late_evening)
    message = OutboundMessage.objects.get()
    assert message.status == Status.QUEUED

    set_automation_policy(automation="nudges", mode=PolicyMode.SHADOW, user=staff_user)
    with (
        time_machine.travel(message.send_at + timedelta(minutes=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        dispatch_due_messages()

    message.refresh_from_db()
    assert message.status == Status.SHADOWED
    assert mail.outbox == []
    # The nudge tells the truth: it was not sent (it said "sent" once queued).
    nudge = Nudge.objects.get()
    assert (nudge.status, nudge.sent_at) == (Nudge.Status.SHADOWED, None)
    assert AuditEntry.objects.filter(action="engagement.nudge.shadowed").count() == 1


def test_a_nudge_approved_automatically_whose_automation_went_to_review_waits_for_staff(
    student, staff_user, django_capture_on_commit_callbacks
):
    set_kind_policy(kind="nudge_inactive", mode=PolicyMode.AUTO, user=staff_user)
    inactive(student)
    late_evening = NOW.replace(hour=5)  # 23:00 in Mexico City: sent at 08:00
    scan(django_capture_on_commit_callbacks, late_evening)
    message = OutboundMessage.objects.get()

    set_automation_policy(automation="nudges", mode=PolicyMode.REVIEW, user=staff_user)
    morning = message.send_at + timedelta(minutes=1)
    with time_machine.travel(morning, tick=False), django_capture_on_commit_callbacks(execute=True):
        dispatch_due_messages()

    message.refresh_from_db()
    assert message.status == Status.HELD
    assert mail.outbox == []
    # Not "sent" while nobody approved it.
    nudge = Nudge.objects.get()
    assert (nudge.status, nudge.sent_at) == (Nudge.Status.HELD, None)
    held = Draft.objects.get(kind="automation_message")
    assert (held.automation, held.person_key) == ("nudges", student.email)
    with time_machine.travel(morning, tick=False), django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=held, user=staff_user)
    assert [m.to for m in mail.outbox] == [[student.email]]
    nudge.refresh_from_db()
    assert (nudge.status, nudge.sent_at) == (Nudge.Status.SENT, morning)
    assert AuditEntry.objects.filter(action="engagement.nudge.held").count() == 1
    assert AuditEntry.objects.filter(action="engagement.nudge.released").count() == 1


def test_a_held_nudge_staff_reject_reads_as_skipped_with_their_reason(
    student, staff_user, django_capture_on_commit_callbacks
):
    from courseops.reviews.services import reject_draft

    set_kind_policy(kind="nudge_inactive", mode=PolicyMode.AUTO, user=staff_user)
    inactive(student)
    scan(django_capture_on_commit_callbacks, NOW.replace(hour=5))  # queued for 08:00 local
    message = OutboundMessage.objects.get()
    set_automation_policy(automation="nudges", mode=PolicyMode.REVIEW, user=staff_user)
    with (
        time_machine.travel(message.send_at + timedelta(minutes=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        dispatch_due_messages()
    message.refresh_from_db()
    assert message.status == Status.HELD
    assert Nudge.objects.get().status == Nudge.Status.HELD

    with django_capture_on_commit_callbacks(execute=True):
        reject_draft(
            draft=Draft.objects.get(kind="automation_message"),
            user=staff_user,
            reason="Ya la llamamos",
        )

    nudge = Nudge.objects.get()
    assert (nudge.status, nudge.sent_at) == (Nudge.Status.SKIPPED, None)
    assert nudge.skipped_reason == "Rechazado en revisión: Ya la llamamos"
    assert mail.outbox == []


def test_when_the_nudges_shadow_week_ends_the_next_scan_sends(
    make_student, staff_user, django_capture_on_commit_callbacks
):
    set_kind_policy(kind="nudge_inactive", mode=PolicyMode.AUTO, user=staff_user)
    set_automation_policy(
        automation="nudges",
        mode=PolicyMode.AUTO,
        shadow_from=NOW - timedelta(days=1),
        shadow_until=NOW + timedelta(days=6),
        user=staff_user,
    )
    first = inactive(make_student(email="ana@example.com"))
    scan(django_capture_on_commit_callbacks)
    second = inactive(make_student(email="bruno@example.com"))
    scan(django_capture_on_commit_callbacks, NOW + timedelta(days=6, minutes=1))

    assert Draft.objects.get(recipient=first.email).status == DraftStatus.SHADOW
    assert Draft.objects.get(recipient=second.email).status == DraftStatus.APPLIED
    assert [m.to for m in mail.outbox] == [[second.email]]


# --- FAQ answers ---------------------------------------------------------------------------


def ask(capture, email):
    with time_machine.travel(NOW, tick=False), capture(execute=True):
        return ask_question(text="¿Puedo cambiar mi plan?", email=email, channel="api")


@pytest.mark.usefixtures("articles")
def test_faq_answers_in_shadow_are_drafted_not_sent_and_the_question_stays_open(
    staff_user, django_capture_on_commit_callbacks
):
    set_kind_policy(kind="faq_answer", mode=PolicyMode.AUTO, user=staff_user)
    set_automation_policy(automation="faq_answers", mode=PolicyMode.SHADOW, user=staff_user)

    ask(django_capture_on_commit_callbacks, "nuevo@example.com")

    draft = Draft.objects.get(kind="faq_answer")
    assert (draft.status, draft.arm) == (DraftStatus.SHADOW, Arm.SHADOW)
    assert "siguiente pago" in draft.body
    assert Question.objects.get().status != "answered"  # staff still answer it by hand
    assert not OutboundMessage.objects.exists()


@pytest.mark.usefixtures("articles")
def test_faq_answers_in_review_wait_and_fully_automatic_go_out(
    staff_user, django_capture_on_commit_callbacks
):
    ask(django_capture_on_commit_callbacks, "uno@example.com")
    assert Draft.objects.get(recipient="uno@example.com").status == DraftStatus.PENDING

    set_kind_policy(kind="faq_answer", mode=PolicyMode.AUTO, user=staff_user)
    ask(django_capture_on_commit_callbacks, "dos@example.com")

    assert Draft.objects.get(recipient="dos@example.com").status == DraftStatus.APPLIED
    message = OutboundMessage.objects.get()
    assert (message.recipient, message.automation, message.status) == (
        "dos@example.com",
        "faq_answers",
        Status.SENT,
    )


@pytest.mark.usefixtures("articles")
def test_faq_answers_at_n_percent_follow_each_persons_arm(
    staff_user, django_capture_on_commit_callbacks
):
    set_kind_policy(kind="faq_answer", mode=PolicyMode.PERCENT, percent=50, user=staff_user)
    emails = [f"{name}@example.com" for name in NAMES]
    automatic = automatic_under("kind:faq_answer", 50, emails)

    for email in emails:
        ask(django_capture_on_commit_callbacks, email)

    for draft in Draft.objects.filter(kind="faq_answer"):
        expected = DraftStatus.APPLIED if draft.recipient in automatic else DraftStatus.PENDING
        assert draft.status == expected, draft.recipient
    assert {m.to[0] for m in mail.outbox} == automatic
