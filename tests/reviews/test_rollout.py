"""The rollout's rules: arms per person, the shadow period, the more careful of two
policies, the outbox keeping shadowed messages, and who may move a rollout."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from courseops.audit.models import AuditEntry
from courseops.messaging.models import OutboundMessage, Status
from courseops.messaging.services import queue_email
from courseops.reviews.automations import Automation, register_automation, unregister_automation
from courseops.reviews.models import Arm, AutomationPolicy, DraftStatus, PolicyMode
from courseops.reviews.rollout import (
    Policies,
    bucket,
    set_automation_policy,
    set_kind_policy,
)

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def demo_flow(db):
    automation = register_automation(
        Automation(name="demo_flow", label="Flujo de prueba", kinds=["demo_email"])
    )
    yield automation
    unregister_automation(automation.name)


@pytest.fixture
def rollout_manager(django_user_model):
    """Staff who may move automations' rollouts, and nothing else."""
    user = django_user_model.objects.create_user(
        username="paula", email="paula@example.com", password="pw-paula-1234", is_staff=True
    )
    user.user_permissions.add(Permission.objects.get(codename="change_automationpolicy"))
    return django_user_model.objects.get(pk=user.pk)


def people(count):
    return [f"email:persona{n}@example.com" for n in range(count)]


def test_a_persons_bucket_is_a_stable_hash_of_person_and_policy():
    # Fixed values: the same person lands in the same arm on every machine and every run.
    assert bucket("automation:nudges", "email:lucia@example.com") == bucket(
        "automation:nudges", "email:lucia@example.com"
    )
    spread = {bucket("automation:nudges", key) for key in people(400)}
    assert len(spread) > 90  # the 0-99 range is used
    # Another automation sorts the same people differently.
    same = sum(
        bucket("automation:nudges", key) == bucket("automation:reminders", key)
        for key in people(400)
    )
    assert same < 20


def test_percent_puts_about_n_percent_in_auto_and_raising_n_only_adds_people(demo_flow, staff_user):
    set_automation_policy(
        automation="demo_flow", mode=PolicyMode.PERCENT, percent=20, user=staff_user
    )
    arms_at_20 = {
        key: Policies().arm(person_key=key, automation="demo_flow") for key in people(1000)
    }
    automatic = [key for key, arm in arms_at_20.items() if arm == Arm.AUTO]
    assert 150 < len(automatic) < 250
    assert set(arms_at_20.values()) == {Arm.AUTO, Arm.REVIEW}

    set_automation_policy(
        automation="demo_flow", mode=PolicyMode.PERCENT, percent=50, user=staff_user
    )
    policies = Policies()
    assert all(
        policies.arm(person_key=key, automation="demo_flow") == Arm.AUTO for key in automatic
    )
    at_50 = sum(
        policies.arm(person_key=key, automation="demo_flow") == Arm.AUTO for key in people(1000)
    )
    assert 430 < at_50 < 570


def test_the_more_careful_of_automation_and_kind_wins(demo_flow, staff_user):
    key = "email:lucia@example.com"
    set_kind_policy(kind="demo_email", mode=PolicyMode.AUTO, user=staff_user)
    assert Policies().arm(person_key=key, automation="demo_flow", kind="demo_email") == Arm.AUTO

    set_automation_policy(automation="demo_flow", mode=PolicyMode.REVIEW, user=staff_user)
    assert Policies().arm(person_key=key, automation="demo_flow", kind="demo_email") == Arm.REVIEW

    set_automation_policy(automation="demo_flow", mode=PolicyMode.AUTO, user=staff_user)
    set_kind_policy(kind="demo_email", mode=PolicyMode.SHADOW, user=staff_user)
    assert Policies().arm(person_key=key, automation="demo_flow", kind="demo_email") == Arm.SHADOW


def test_an_automation_is_automatic_until_staff_stage_it(demo_flow):
    assert not AutomationPolicy.objects.filter(automation="demo_flow").exists()
    assert Policies().arm(person_key="email:x@example.com", automation="demo_flow") == Arm.AUTO


def test_a_shadow_period_ends_on_its_own_and_the_chosen_mode_takes_over(demo_flow, staff_user):
    set_automation_policy(
        automation="demo_flow",
        mode=PolicyMode.AUTO,
        shadow_from=MONDAY,
        shadow_until=MONDAY + timedelta(days=7),
        user=staff_user,
    )
    key = "email:lucia@example.com"
    with time_machine.travel(MONDAY - timedelta(minutes=1), tick=False):
        assert Policies().arm(person_key=key, automation="demo_flow") == Arm.AUTO
    with time_machine.travel(MONDAY + timedelta(days=6, hours=23), tick=False):
        assert Policies().arm(person_key=key, automation="demo_flow") == Arm.SHADOW
    with time_machine.travel(MONDAY + timedelta(days=7), tick=False):
        assert Policies().arm(person_key=key, automation="demo_flow") == Arm.AUTO


def test_the_outbox_keeps_an_automations_message_in_shadow_and_sends_it_once_live(
    demo_flow, staff_user, at
):
    set_automation_policy(
        automation="demo_flow",
        mode=PolicyMode.AUTO,
        shadow_until=MONDAY + timedelta(days=7),
        user=staff_user,
    )

    def queue(key):
        return queue_email(
            to="lucia@example.com",
            idempotency_key=key,
            subject="Te esperamos",
            text="Hola Lucía",
            automation="demo_flow",
        )

    during = at(MONDAY + timedelta(days=1), queue, "demo.1")
    after = at(MONDAY + timedelta(days=7, minutes=1), queue, "demo.2")
    other = at(MONDAY + timedelta(days=1), queue_email, to="lucia@example.com",
               idempotency_key="plain.1", subject="Factura", text="Tu factura")  # fmt: skip

    during.refresh_from_db()
    after.refresh_from_db()
    other.refresh_from_db()
    assert during.status == Status.SHADOWED
    assert "En sombra" in during.last_error
    assert during.subject == "Te esperamos"  # what would have gone out is kept
    assert after.status == Status.SENT
    assert other.status == Status.SENT  # messages of no automation never meet a rollout
    assert sorted(m.subject for m in mail.outbox) == ["Factura", "Te esperamos"]


def test_a_draft_in_shadow_is_kept_and_never_applied(demo_flow, staff_user, email_draft, at):
    set_automation_policy(automation="demo_flow", mode=PolicyMode.SHADOW, user=staff_user)
    set_kind_policy(kind="demo_email", mode=PolicyMode.AUTO, user=staff_user)

    draft = at(MONDAY, email_draft)

    draft.refresh_from_db()
    assert (draft.status, draft.arm, draft.automation) == (
        DraftStatus.SHADOW,
        Arm.SHADOW,
        "demo_flow",
    )
    assert draft.person_key == "email:lucia@example.com"
    assert not OutboundMessage.objects.exists()


def test_an_auto_approved_draft_whose_automation_went_to_shadow_is_not_sent(
    demo_flow, staff_user, email_draft, django_capture_on_commit_callbacks
):
    set_kind_policy(kind="demo_email", mode=PolicyMode.AUTO, user=staff_user)
    with django_capture_on_commit_callbacks(execute=False) as apply_later:
        draft = email_draft()
    assert draft.status == DraftStatus.APPROVED
    set_automation_policy(automation="demo_flow", mode=PolicyMode.SHADOW, user=staff_user)

    with django_capture_on_commit_callbacks(execute=True):
        for callback in apply_later:
            callback()

    message = OutboundMessage.objects.get(idempotency_key=f"reviews.draft.{draft.pk}")
    assert message.status == Status.SHADOWED
    assert mail.outbox == []


def test_a_draft_staff_approved_by_hand_leaves_even_in_shadow(
    demo_flow, staff_user, email_draft, django_capture_on_commit_callbacks
):
    from courseops.reviews.services import approve_draft

    draft = email_draft()  # pending: the automation was live, the kind in review
    set_automation_policy(automation="demo_flow", mode=PolicyMode.SHADOW, user=staff_user)

    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=draft, user=staff_user)

    message = OutboundMessage.objects.get(idempotency_key=f"reviews.draft.{draft.pk}")
    assert message.status == Status.SENT
    assert len(mail.outbox) == 1


def test_moving_a_rollout_is_audited_with_before_and_after(demo_flow, rollout_manager):
    policy = set_automation_policy(
        automation="demo_flow", mode=PolicyMode.PERCENT, percent=25, user=rollout_manager
    )

    entry = AuditEntry.objects.get(action="reviews.rollout.changed", object_id=str(policy.pk))
    assert entry.actor == rollout_manager
    assert entry.data["from"]["mode"] == PolicyMode.AUTO
    assert entry.data["to"] == {
        "mode": "percent",
        "percent": 25,
        "shadow_from": None,
        "shadow_until": None,
    }
    # The same values again change nothing and leave no entry.
    set_automation_policy(
        automation="demo_flow", mode=PolicyMode.PERCENT, percent=25, user=rollout_manager
    )
    assert AuditEntry.objects.filter(action="reviews.rollout.changed").count() == 1


def test_staff_without_the_permission_cannot_move_a_rollout(demo_flow, django_user_model):
    reviewer = django_user_model.objects.create_user(
        username="rosa", email="rosa@example.com", password="pw-rosa-1234", is_staff=True
    )
    reviewer.user_permissions.add(Permission.objects.get(codename="review_demo_email"))
    reviewer = django_user_model.objects.get(pk=reviewer.pk)

    with pytest.raises(PermissionDenied):
        set_automation_policy(automation="demo_flow", mode=PolicyMode.AUTO, user=reviewer)
    with pytest.raises(PermissionDenied):
        set_kind_policy(kind="demo_email", mode=PolicyMode.AUTO, user=reviewer)
    assert not AutomationPolicy.objects.filter(automation="demo_flow").exists()


def test_bad_rollout_values_are_refused(demo_flow, staff_user):
    with pytest.raises(ValidationError):
        set_automation_policy(automation="demo_flow", mode="sometimes", user=staff_user)
    with pytest.raises(ValidationError):
        set_automation_policy(
            automation="demo_flow", mode=PolicyMode.PERCENT, percent=120, user=staff_user
        )
    with pytest.raises(ValidationError):
        set_automation_policy(
            automation="demo_flow",
            mode=PolicyMode.AUTO,
            shadow_from=MONDAY,
            shadow_until=MONDAY - timedelta(days=1),
            user=staff_user,
        )
    with pytest.raises(LookupError):
        set_automation_policy(automation="nobody", mode=PolicyMode.AUTO, user=staff_user)
