from datetime import timedelta

import pytest
import time_machine
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from django.utils import timezone

from courseops.core.schedules import declared
from courseops.messaging import services, tasks
from courseops.messaging.models import OutboundMessage, ProviderCall, Status
from courseops.messaging.services import (
    cancel_message,
    queue_email,
    reschedule_message,
)
from courseops.messaging.services.outbox import STUCK_AFTER

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


def sweep(capture, at):
    with time_machine.travel(at, tick=False), capture(execute=True):
        tasks.sweep_outbox.apply()


def test_a_scheduled_email_waits_in_the_outbox_until_it_is_due(
    postmark_accepts, django_capture_on_commit_callbacks
):
    send_at = NOW + timedelta(hours=2)
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks() as callbacks:
        message = queue_email(
            to="ana@example.com",
            idempotency_key="k",
            subject="Recordatorio",
            text="x",
            send_at=send_at,
        )
    assert callbacks == []  # nothing is handed to a worker at queue time

    sweep(django_capture_on_commit_callbacks, send_at - timedelta(seconds=1))
    assert postmark_accepts == []

    sweep(django_capture_on_commit_callbacks, send_at)
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(postmark_accepts) == 1


def test_a_canceled_scheduled_email_is_never_sent(postmark, django_capture_on_commit_callbacks):
    message = queue_email(
        to="ana@example.com",
        idempotency_key="k",
        subject="x",
        text="x",
        send_at=NOW + timedelta(hours=1),
    )
    assert cancel_message(message=message) is True

    sweep(django_capture_on_commit_callbacks, NOW + timedelta(hours=3))
    message.refresh_from_db()
    assert message.status == Status.CANCELED
    assert postmark.log == []


def test_a_rescheduled_email_goes_at_its_new_time(
    postmark_accepts, django_capture_on_commit_callbacks
):
    message = queue_email(
        to="ana@example.com",
        idempotency_key="k",
        subject="x",
        text="x",
        send_at=NOW + timedelta(hours=1),
    )
    assert reschedule_message(message=message, send_at=NOW + timedelta(hours=5))

    sweep(django_capture_on_commit_callbacks, NOW + timedelta(hours=2))
    assert postmark_accepts == []
    sweep(django_capture_on_commit_callbacks, NOW + timedelta(hours=5))
    assert len(postmark_accepts) == 1


def test_the_sweeper_run_twice_sends_each_due_message_once(
    postmark_accepts, django_capture_on_commit_callbacks
):
    for number in range(3):
        queue_email(
            to=f"s{number}@example.com",
            idempotency_key=f"k{number}",
            subject="x",
            text="x",
            send_at=NOW + timedelta(minutes=10),
        )

    at = NOW + timedelta(minutes=10)
    with time_machine.travel(at, tick=False):
        with django_capture_on_commit_callbacks() as first:
            services.dispatch_due_messages()
        with django_capture_on_commit_callbacks() as second:
            services.dispatch_due_messages()  # leased: nothing dispatched again
        for callback in first + first:  # and a duplicated delivery of the tasks
            callback()

    assert (len(first), len(second)) == (1, 0)  # one batch task for the three
    assert len(postmark_accepts) == 3
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {Status.SENT}


def test_the_sweeper_dispatches_in_bounded_batches():
    with time_machine.travel(NOW, tick=False):
        for number in range(5):
            queue_email(
                to=f"s{number}@example.com", idempotency_key=f"k{number}", subject="x", text="x"
            )
        OutboundMessage.objects.update(dispatched_at=None)

        assert services.dispatch_due_messages(batch_size=2, max_batches=2) == 4
        assert services.dispatch_due_messages(batch_size=2, max_batches=2) == 1


def test_a_message_whose_task_was_lost_is_redispatched_after_the_lease(
    postmark_accepts, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks():
        message = queue_email(to="ana@example.com", idempotency_key="k", subject="x", text="x")
    # The on-commit task never ran (broker lost it): the row is still queued.

    sweep(django_capture_on_commit_callbacks, NOW + timedelta(seconds=30))
    assert postmark_accepts == []
    # A transactional message's lease is a minute (marketing keeps 5: test below).
    sweep(django_capture_on_commit_callbacks, NOW + timedelta(minutes=1, seconds=1))
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_a_message_stuck_sending_is_marked_interrupted_not_resent_and_staff_can_resend(
    postmark_accepts, django_capture_on_commit_callbacks, client, staff_user
):
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks():
        message = queue_email(to="ana@example.com", idempotency_key="k", subject="x", text="x")
        assert services.sending.claim_messages(message_ids=[message.pk])
    # ...and the worker was killed while calling the provider, before it recorded anything.
    ProviderCall.objects.create(message=message, called_at=NOW)

    sweep(django_capture_on_commit_callbacks, NOW + STUCK_AFTER + timedelta(seconds=1))
    sweep(django_capture_on_commit_callbacks, NOW + STUCK_AFTER + timedelta(hours=1))
    message.refresh_from_db()
    assert message.status == Status.INTERRUPTED
    assert "puede haberse enviado" in message.last_error
    assert postmark_accepts == []

    client.force_login(staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:messaging_outboundmessage_changelist"),
            {"action": "retry_selected", "_selected_action": [message.pk]},
        )
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(postmark_accepts) == 1


def test_the_outbox_sweeper_is_declared_as_a_periodic_task():
    periodic = declared()["messaging.sweep_outbox"]
    assert periodic.task == tasks.sweep_outbox.name
    assert periodic.every == timedelta(seconds=60)


def test_rescheduling_to_now_sends_right_away(postmark_accepts, django_capture_on_commit_callbacks):
    message = queue_email(
        to="ana@example.com",
        idempotency_key="k",
        subject="x",
        text="x",
        send_at=timezone.now() + timedelta(days=1),
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert reschedule_message(message=message, send_at=timezone.now())

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(postmark_accepts) == 1


def test_a_sent_message_cannot_be_rescheduled_or_canceled():
    message = queue_email(to="ana@example.com", idempotency_key="k", subject="x", text="x")
    OutboundMessage.objects.filter(pk=message.pk).update(status=Status.SENT)

    assert reschedule_message(message=message, send_at=timezone.now()) is False
    assert cancel_message(message=message) is False


# --- liveness: a message whose worker died is taken over, never resent blindly ----------


def _left_sending_by_a_dead_worker(*, provider_called, key="dead-holder"):
    from tests.core.test_liveness import dead_holder

    message = queue_email(to="ana@example.com", idempotency_key=key, subject="Hola", text="Hola")
    services.sending.claim_messages(message_ids=[message.pk])
    OutboundMessage.objects.filter(pk=message.pk).update(held_by=dead_holder())
    if provider_called:
        ProviderCall.objects.create(message=message, called_at=timezone.now())
    return message


@pytest.mark.django_db
def test_a_message_whose_worker_died_before_the_provider_call_is_sent_by_the_next_sweep(
    django_capture_on_commit_callbacks, postmark_accepts
):
    message = _left_sending_by_a_dead_worker(provider_called=False)

    with django_capture_on_commit_callbacks(execute=True):
        tasks.sweep_outbox.apply()

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 1  # the lost claim was not an attempt
    assert len(postmark_accepts) == 1


@pytest.mark.django_db
def test_a_message_whose_worker_died_during_the_provider_call_waits_for_staff(
    django_capture_on_commit_callbacks, postmark_accepts
):
    message = _left_sending_by_a_dead_worker(provider_called=True)

    with django_capture_on_commit_callbacks(execute=True):
        tasks.sweep_outbox.apply()

    message.refresh_from_db()
    assert message.status == Status.INTERRUPTED
    assert "durante la llamada al proveedor" in message.last_error
    assert message.provider_called_at is not None  # the stamp's time, shown to staff
    assert not ProviderCall.objects.exists()  # a retry by staff starts unstamped
    assert postmark_accepts == []


@pytest.mark.django_db
def test_a_message_being_sent_by_a_live_worker_is_left_alone(
    django_capture_on_commit_callbacks, postmark_accepts
):

    message = queue_email(to="ana@example.com", idempotency_key="alive", subject="H", text="H")
    services.sending.claim_messages(message_ids=[message.pk])

    with django_capture_on_commit_callbacks(execute=True):
        tasks.sweep_outbox.apply()

    message.refresh_from_db()
    assert message.status == Status.SENDING


@pytest.mark.django_db
def test_a_transactional_email_whose_task_was_lost_is_sent_again_after_a_minute_not_five(
    django_capture_on_commit_callbacks, postmark_accepts
):
    from courseops.messaging.models import Category

    with django_capture_on_commit_callbacks(execute=False):  # both tasks lost with a worker
        link = queue_email(to="ana@example.com", idempotency_key="link", subject="E", text="E")
        news = queue_email(
            to="ana@example.com",
            idempotency_key="news",
            subject="N",
            text="N",
            category=Category.MARKETING,
        )

    sweep(django_capture_on_commit_callbacks, timezone.now() + timedelta(seconds=61))

    link.refresh_from_db()
    news.refresh_from_db()
    assert link.status == Status.SENT
    assert news.status == Status.QUEUED  # a bulk queue may be long: it keeps its 5 minutes


def _stamp():
    """The message's provider-call stamp as another process sees it, or None."""
    return ProviderCall.objects.values_list("called_at", flat=True).first()


class _ProviderWatchingTheRow(BaseEmailBackend):
    """The provider's side: the message's stamp when the backend was built (before the
    call) and when the email was handed over (the call)."""

    seen = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen.append(("built", _stamp()))

    def send_messages(self, email_messages):
        self.seen.append(("called", _stamp()))
        return len(email_messages)


@pytest.mark.django_db
def test_a_message_counts_as_handed_to_the_provider_only_from_the_call_itself(settings):
    # A worker dying while the email is still being built has not sent it: it must be
    # resent (provider_called_at still empty), not held for staff as "may have gone out".
    settings.EMAIL_BACKEND = f"{__name__}._ProviderWatchingTheRow"
    _ProviderWatchingTheRow.seen = []
    message = queue_email(to="ana@example.com", idempotency_key="k", subject="x", text="x")

    services.deliver_message(
        message_id=message.pk, max_attempts=tasks.MAX_ATTEMPTS, retry_delay=tasks.retry_delay
    )

    (built, before_call), (called, at_call) = _ProviderWatchingTheRow.seen
    assert (built, before_call) == ("built", None)
    assert called == "called"
    assert at_call is not None
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.provider_called_at == at_call  # kept on the row for staff
    assert not ProviderCall.objects.exists()  # recorded: the stamp is done with


@pytest.mark.django_db
def test_a_message_stamped_on_its_row_by_a_worker_of_the_previous_version_waits_for_staff(
    django_capture_on_commit_callbacks, postmark_accepts
):
    # Stamped before the upgrade, or by an old worker still running during the deploy.
    message = _left_sending_by_a_dead_worker(provider_called=False)
    unstamped = _left_sending_by_a_dead_worker(provider_called=False, key="unstamped")
    OutboundMessage.objects.filter(pk=message.pk).update(provider_called_at=NOW)

    with django_capture_on_commit_callbacks(execute=True):
        tasks.sweep_outbox.apply()

    message.refresh_from_db()
    unstamped.refresh_from_db()
    assert message.status == Status.INTERRUPTED
    assert message.provider_called_at == NOW
    assert unstamped.status == Status.SENT
    assert [p["To"] for p in postmark_accepts] == ["ana@example.com"]  # the unstamped one
