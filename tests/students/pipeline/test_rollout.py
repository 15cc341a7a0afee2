"""Onboarding's rollout: the welcome email drafted in each mode (shadow, review, N %,
automatic), what is sent and what the shadow log shows, and the shadow week ending."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from courseops.messaging.models import OutboundMessage
from courseops.reviews.models import Arm, DraftStatus, PolicyMode
from courseops.reviews.rollout import set_automation_policy, set_kind_policy
from courseops.reviews.shadow_log import shadow_log
from students.onboarding.welcome import draft_welcome_email
from tests.rollout_helpers import NAMES, automatic_under

pytestmark = pytest.mark.django_db


def welcome(student, capture):
    with capture(execute=True):
        draft, _created = draft_welcome_email(student=student)
    draft.refresh_from_db()
    return draft


def test_in_shadow_the_welcome_is_drafted_and_logged_but_nothing_is_sent(
    student, staff_user, django_capture_on_commit_callbacks
):
    set_kind_policy(kind="welcome_email", mode=PolicyMode.AUTO, user=staff_user)
    set_automation_policy(automation="onboarding", mode=PolicyMode.SHADOW, user=staff_user)
    start = timezone.now()

    draft = welcome(student, django_capture_on_commit_callbacks)

    assert (draft.status, draft.arm, draft.automation) == (
        DraftStatus.SHADOW,
        Arm.SHADOW,
        "onboarding",
    )
    assert draft.body  # the AI's welcome is there for staff to read
    assert not OutboundMessage.objects.exists()
    assert mail.outbox == []
    log = shadow_log(automation="onboarding", start=start, end=timezone.now())
    assert (log.shadow_drafts, log.would_have_sent, log.sent_by_hand) == (1, 0, 0)
    assert log.people[0].person == "lucia@example.com"
    assert log.people[0].would_have_sent == [draft.subject]


def test_in_review_the_welcome_waits_and_staff_approval_sends_it_once(
    student, staff_user, django_capture_on_commit_callbacks
):
    from courseops.reviews.services import approve_draft

    draft = welcome(student, django_capture_on_commit_callbacks)
    assert (draft.status, draft.arm) == (DraftStatus.PENDING, Arm.REVIEW)
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=draft, user=staff_user)

    message = OutboundMessage.objects.get()
    assert (message.automation, message.status) == ("onboarding", "sent")
    assert [m.to for m in mail.outbox] == [["lucia@example.com"]]


def test_at_n_percent_the_same_people_get_their_welcome_automatically(
    make_student, staff_user, django_capture_on_commit_callbacks
):
    set_kind_policy(kind="welcome_email", mode=PolicyMode.PERCENT, percent=50, user=staff_user)
    emails = [f"{name}@example.com" for name in NAMES]
    students = [make_student(email=email) for email in emails]
    automatic = automatic_under("kind:welcome_email", 50, emails)

    drafts = {
        student.email: welcome(student, django_capture_on_commit_callbacks) for student in students
    }

    for email, draft in drafts.items():
        if email in automatic:
            assert (draft.arm, draft.status) == (Arm.AUTO, DraftStatus.APPLIED), email
        else:
            assert (draft.arm, draft.status) == (Arm.REVIEW, DraftStatus.PENDING), email
    assert {m.to[0] for m in mail.outbox} == automatic
    # Same person, same arm: a second welcome for someone in review waits again.
    someone = next(e for e in emails if e not in automatic)
    with django_capture_on_commit_callbacks(execute=True):
        again, _ = draft_welcome_email(student=drafts[someone].target, resend=True)
    assert again.arm == Arm.REVIEW


def test_fully_automatic_the_welcome_goes_out_on_its_own(
    student, staff_user, django_capture_on_commit_callbacks
):
    set_kind_policy(kind="welcome_email", mode=PolicyMode.AUTO, user=staff_user)

    draft = welcome(student, django_capture_on_commit_callbacks)

    assert (draft.status, draft.decided_automatically) == (DraftStatus.APPLIED, True)
    assert OutboundMessage.objects.get().status == "sent"
    assert len(mail.outbox) == 1


def test_after_the_shadow_week_the_next_welcome_goes_out(
    make_student, staff_user, django_capture_on_commit_callbacks
):
    set_kind_policy(kind="welcome_email", mode=PolicyMode.AUTO, user=staff_user)
    monday = timezone.now()
    set_automation_policy(
        automation="onboarding",
        mode=PolicyMode.AUTO,
        shadow_from=monday,
        shadow_until=monday + timedelta(days=7),
        user=staff_user,
    )
    with time_machine.travel(monday + timedelta(days=6, hours=23), tick=False):
        in_shadow = welcome(
            make_student(email="ana@example.com"), django_capture_on_commit_callbacks
        )
    with time_machine.travel(monday + timedelta(days=7, minutes=1), tick=False):
        live = welcome(make_student(email="bruno@example.com"), django_capture_on_commit_callbacks)

    assert in_shadow.status == DraftStatus.SHADOW
    assert live.status == DraftStatus.APPLIED
    assert [m.to for m in mail.outbox] == [["bruno@example.com"]]
