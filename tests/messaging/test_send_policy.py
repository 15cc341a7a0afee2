"""The per-person send policy: consent, quiet hours in the person's zone, budgets with
priorities. Transactional messages are never held back."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from courseops.messaging import hooks, tasks
from courseops.messaging.hooks import Person
from courseops.messaging.models import BudgetRule, Category, OutboundMessage, Status
from courseops.messaging.services import queue_email, queue_sms, suppress

pytestmark = pytest.mark.django_db

# 23:00 in Mexico City (UTC-6): night for a Mexican, 06:00 the next morning in Madrid.
NIGHT_IN_MEXICO = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)
# 12:00 in Mexico City.
NOON_IN_MEXICO = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)


def send(capture, at, **kwargs):
    kwargs.setdefault("to", "ana@example.com")
    kwargs.setdefault("subject", "Novedades")
    kwargs.setdefault("text", "x")
    with time_machine.travel(at, tick=False), capture(execute=True):
        message = queue_email(**kwargs)
    message.refresh_from_db()
    return message


def sweep(capture, at):
    with time_machine.travel(at, tick=False), capture(execute=True):
        tasks.sweep_outbox.apply()


@pytest.fixture
def quiet_nights(settings):
    settings.MESSAGING_QUIET_HOURS = "21:00-09:00"
    settings.MESSAGING_QUIET_HOURS_CATEGORIES = ["marketing", "engagement"]


@pytest.fixture
def ana_is_one_person(monkeypatch):
    """A directory (as marketing registers one) knowing Ana's email and phone."""

    def lookup(channel, address):
        if address in ("ana@example.com", "+525512345678"):
            return Person(key="ana@example.com", time_zone="Europe/Madrid")
        return None

    hooks.register_person_lookup(lookup)


def test_a_marketing_email_at_night_waits_for_9_in_the_persons_zone_and_then_goes(
    quiet_nights, django_capture_on_commit_callbacks
):
    message = send(
        django_capture_on_commit_callbacks,
        NIGHT_IN_MEXICO,
        idempotency_key="promo",
        category=Category.MARKETING,
    )

    assert message.status == Status.QUEUED
    nine_in_mexico = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    assert message.next_attempt_at == nine_in_mexico
    assert "hora de México (Ciudad de México)" in message.policy_note  # the zone in words
    assert message.attempts == 0  # waiting is not a failed attempt

    sweep(django_capture_on_commit_callbacks, nine_in_mexico - timedelta(minutes=1))
    message.refresh_from_db()
    assert message.status == Status.QUEUED
    sweep(django_capture_on_commit_callbacks, nine_in_mexico)
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_quiet_hours_follow_the_persons_own_time_zone(
    quiet_nights, ana_is_one_person, django_capture_on_commit_callbacks
):
    # 06:00 in Madrid: still quiet there; resumes at 09:00 Madrid = 08:00 UTC.
    message = send(
        django_capture_on_commit_callbacks,
        NIGHT_IN_MEXICO,
        idempotency_key="promo",
        category=Category.MARKETING,
    )

    assert message.time_zone == "Europe/Madrid"
    assert message.next_attempt_at == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def test_transactional_and_billing_messages_go_out_at_night(
    quiet_nights, django_capture_on_commit_callbacks
):
    receipt = send(
        django_capture_on_commit_callbacks,
        NIGHT_IN_MEXICO,
        idempotency_key="class-link",
        category=Category.TRANSACTIONAL,
    )
    billing = send(
        django_capture_on_commit_callbacks,
        NIGHT_IN_MEXICO,
        idempotency_key="payment-failed",
        category=Category.BILLING,
    )

    assert (receipt.status, billing.status) == (Status.SENT, Status.SENT)


def test_a_third_marketing_email_in_a_week_waits_until_the_first_leaves_the_window(
    django_capture_on_commit_callbacks,
):
    BudgetRule.objects.create(
        name="Marketing", channel="email", categories=["marketing"], limit=2, period_days=7
    )
    first = send(
        django_capture_on_commit_callbacks,
        NOON_IN_MEXICO,
        idempotency_key="m1",
        category=Category.MARKETING,
    )
    send(
        django_capture_on_commit_callbacks,
        NOON_IN_MEXICO + timedelta(days=2),
        idempotency_key="m2",
        category=Category.MARKETING,
    )
    third = send(
        django_capture_on_commit_callbacks,
        NOON_IN_MEXICO + timedelta(days=3),
        idempotency_key="m3",
        category=Category.MARKETING,
    )

    assert first.status == Status.SENT
    assert third.status == Status.QUEUED
    assert third.next_attempt_at == first.budget_at + timedelta(days=7)
    assert "Marketing" in third.policy_note

    sweep(django_capture_on_commit_callbacks, third.next_attempt_at)
    third.refresh_from_db()
    assert third.status == Status.SENT


def test_a_message_whose_kind_says_drop_is_dropped_over_the_cap_with_the_reason(
    django_capture_on_commit_callbacks,
):
    BudgetRule.objects.create(name="Uno al día", categories=["marketing"], limit=1, period_days=1)
    send(
        django_capture_on_commit_callbacks,
        NOON_IN_MEXICO,
        idempotency_key="m1",
        category=Category.MARKETING,
    )
    second = send(
        django_capture_on_commit_callbacks,
        NOON_IN_MEXICO + timedelta(hours=1),
        idempotency_key="m2",
        category=Category.MARKETING,
        over_budget="drop",
    )

    assert second.status == Status.DROPPED
    assert "Uno al día" in second.last_error


def test_a_limit_of_zero_means_none_of_that_kind_dropped_with_a_reason_staff_read(
    django_capture_on_commit_callbacks,
):
    # It used to crash the batch (min() of no times): zero is "none", not an error.
    BudgetRule.objects.create(name="Sin marketing", categories=["marketing"], limit=0)

    promo = send(
        django_capture_on_commit_callbacks,
        NOON_IN_MEXICO,
        idempotency_key="promo",
        category=Category.MARKETING,
    )  # defers by default, but no slot ever frees: it is dropped, not deferred forever
    receipt = send(django_capture_on_commit_callbacks, NOON_IN_MEXICO, idempotency_key="receipt")

    assert promo.status == Status.DROPPED
    assert promo.last_error == (
        "Límite «Sin marketing»: no se envía ningún mensaje de este tipo (máximo 0)."
    )
    assert promo.budget_at is None
    assert receipt.status == Status.SENT  # transactional mail is never capped


def test_a_higher_priority_message_is_never_kept_out_by_lower_ones_but_uses_their_room(
    django_capture_on_commit_callbacks,
):
    BudgetRule.objects.create(
        name="No transaccionales",
        categories=["billing", "engagement", "marketing"],
        limit=1,
        period_days=1,
    )
    promo = send(
        django_capture_on_commit_callbacks,
        NOON_IN_MEXICO,
        idempotency_key="promo",
        category=Category.MARKETING,
    )
    dunning = send(
        django_capture_on_commit_callbacks,
        NOON_IN_MEXICO + timedelta(minutes=5),
        idempotency_key="dunning",
        category=Category.BILLING,
    )
    nudge = send(
        django_capture_on_commit_callbacks,
        NOON_IN_MEXICO + timedelta(minutes=10),
        idempotency_key="nudge",
        category=Category.ENGAGEMENT,
    )

    assert (promo.status, dunning.status) == (Status.SENT, Status.SENT)
    assert nudge.status == Status.QUEUED  # the billing notice used up the day's room


def test_transactional_messages_are_never_capped(django_capture_on_commit_callbacks):
    BudgetRule.objects.create(
        name="Todo", categories=["billing", "engagement", "marketing"], limit=1, period_days=7
    )
    sent = [
        send(
            django_capture_on_commit_callbacks,
            NOON_IN_MEXICO + timedelta(minutes=n),
            idempotency_key=f"t{n}",
        ).status
        for n in range(3)
    ]

    assert sent == [Status.SENT] * 3
    assert not OutboundMessage.objects.filter(budget_at__isnull=False).exists()


def test_one_budget_covers_a_persons_email_and_phone(
    ana_is_one_person, django_capture_on_commit_callbacks
):
    BudgetRule.objects.create(name="Uno al día", categories=["marketing"], limit=1, period_days=1)
    send(
        django_capture_on_commit_callbacks,
        NOON_IN_MEXICO,
        idempotency_key="email",
        category=Category.MARKETING,
    )
    with (
        time_machine.travel(NOON_IN_MEXICO, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        sms = queue_sms(
            to="+52 1 55 1234 5678",
            idempotency_key="sms",
            body="Oferta",
            category=Category.MARKETING,
        )
    sms.refresh_from_db()

    assert sms.person_key == "ana@example.com"
    assert sms.status == Status.QUEUED


def test_a_consent_check_refusing_drops_the_message_with_the_reason(
    django_capture_on_commit_callbacks,
):
    hooks.register_consent_check(
        lambda channel, address, category: False if category == "marketing" else None
    )

    promo = send(
        django_capture_on_commit_callbacks,
        NOON_IN_MEXICO,
        idempotency_key="promo",
        category=Category.MARKETING,
    )
    receipt = send(django_capture_on_commit_callbacks, NOON_IN_MEXICO, idempotency_key="receipt")

    assert promo.status == Status.DROPPED
    assert "consentimiento" in promo.last_error
    assert receipt.status == Status.SENT


def test_a_failed_send_does_not_use_up_the_persons_budget(
    postmark, django_capture_on_commit_callbacks
):
    postmark.expect_request("/email", method="POST").respond_with_json(
        {"ErrorCode": 300, "Message": "Invalid email request"}, status=422
    )
    BudgetRule.objects.create(name="Uno", categories=["marketing"], limit=1, period_days=7)

    failed = send(
        django_capture_on_commit_callbacks,
        NOON_IN_MEXICO,
        idempotency_key="m1",
        category=Category.MARKETING,
    )

    assert failed.status == Status.FAILED
    assert failed.budget_at is None


def test_joining_the_suppression_list_is_announced_to_the_apps_above():
    heard = []

    def listener(sender, **kwargs):
        heard.append((kwargs["channel"], kwargs["address"], kwargs["reason"]))

    hooks.address_suppressed.connect(listener)
    try:
        suppress(channel="email", address="Ana@Example.com", reason="complained", source="x")
        suppress(channel="email", address="ana@example.com", reason="complained", source="x")
    finally:
        hooks.address_suppressed.disconnect(listener)

    assert heard == [("email", "ana@example.com", "complained")]
