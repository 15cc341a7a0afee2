"""Thin tasks: ids in, one service call, the retry policy for transient errors."""

from datetime import timedelta

from celery import shared_task

from courseops.core.routing import outbox_send_options
from courseops.messaging import services

MAX_ATTEMPTS = 6


def retry_delay(attempts):
    """1, 2, 4, 8, 16 minutes... capped at 2 hours: rides out a provider outage."""
    return timedelta(minutes=min(2 ** (attempts - 1), 120))


def _schedule_retries(deliveries):
    # The row is the record and the sweeper its safety net; this is the fast path.
    for message_id, delivery in deliveries.items():
        if delivery.retry_at:
            send_message.apply_async(
                args=[message_id], eta=delivery.retry_at, **outbox_send_options(delivery.category)
            )


@shared_task(name="messaging.send_message", ignore_result=True)
def send_message(message_id):
    _schedule_retries(
        services.deliver_messages(
            message_ids=[message_id], max_attempts=MAX_ATTEMPTS, retry_delay=retry_delay
        )
    )


@shared_task(name="messaging.send_messages", ignore_result=True)
def send_messages(message_ids):
    """A batch the sweeper handed out: claimed and sent at once."""
    _schedule_retries(
        services.deliver_messages(
            message_ids=message_ids, max_attempts=MAX_ATTEMPTS, retry_delay=retry_delay
        )
    )


@shared_task(name="messaging.sweep_outbox", ignore_result=True)
def sweep_outbox():
    """Every minute: flag rows stuck mid-send, hand due rows to workers, then ask the
    providers of interrupted rows whether they took them (after the dispatch, so that a
    slow provider never delays it); the rows a provider never got are handed out at once."""
    services.interrupt_stuck_messages()
    services.dispatch_due_messages()
    if services.reconcile_interrupted_messages()["requeued"]:
        services.dispatch_due_messages()
