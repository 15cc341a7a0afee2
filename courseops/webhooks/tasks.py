"""Thin tasks: they take ids and call a service.

No Celery retries here on purpose: the retry policy (attempts, backoff, `next_attempt_at`)
lives on the `WebhookEvent` row, because the broker is not durable (STACK.md) and the
sweeper must be able to resume any attempt from the database alone.
"""

from celery import shared_task

from courseops.webhooks import services


@shared_task(name="webhooks.process_event", ignore_result=True)
def process_webhook_event(event_pk):
    services.event_process(event_pk=event_pk)


@shared_task(name="webhooks.dispatch", ignore_result=True)
def dispatch_webhook_events():
    services.events_dispatch()


@shared_task(name="webhooks.sweep", ignore_result=True)
def sweep_webhook_events():
    services.events_sweep()
