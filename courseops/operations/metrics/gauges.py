"""The core's gauges: the queues, the outbox, the review queue, AI spend, webhooks."""

from amqp.exceptions import ChannelError
from django.db.models import Count

from courseops.ai import budget
from courseops.core import heartbeat
from courseops.messaging.models import OutboundMessage
from courseops.operations.metrics.registry import gauge
from courseops.operations.models import Incident
from courseops.reviews.models import Draft, DraftStatus
from courseops.webhooks.models import WebhookEvent


@gauge(
    "courseops_celery_queue_depth",
    "Tasks waiting in the broker, per queue.",
    labels=("queue",),
)
def celery_queue_depth():
    from courseops.celery import app

    # Every queue by urgency (courseops.core.routing): a backlog in `bulk` is expected, one
    # in `critical` is an incident.
    with app.connection_for_read() as connection:
        connection.ensure_connection(max_retries=1, timeout=3)
        for queue in app.amqp.queues:
            try:
                depth = connection.default_channel.queue_declare(queue=queue, passive=True)
            except ChannelError as exc:
                if "NOT_FOUND" not in str(exc):  # kombu's and RabbitMQ's wording alike
                    raise
                yield (queue,), 0  # no worker declared it yet: nothing was ever queued there
                continue
            yield (queue,), depth.message_count


def _counts(queryset, *fields):
    """One GROUP BY: ((label values), rows) per combination of `fields`."""
    for row in queryset.values(*fields).annotate(rows=Count("pk")).order_by():
        yield tuple(row[field] for field in fields), row["rows"]


@gauge(
    "courseops_outbox_messages",
    "Outbox rows by channel and status.",
    labels=("channel", "status"),
)
def outbox_by_status():
    return _counts(OutboundMessage.objects.all(), "channel", "status")


@gauge(
    "courseops_review_drafts_pending",
    "Drafts waiting for staff review, per kind.",
    labels=("kind",),
)
def drafts_pending():
    return _counts(Draft.objects.filter(status=DraftStatus.PENDING), "kind")


@gauge("courseops_ai_cost_today_usd", "AI spend since 00:00 UTC, in USD.")
def ai_cost_today():
    yield (), budget.spent_today()


@gauge("courseops_ai_daily_budget_usd", "The daily AI budget, in USD.")
def ai_daily_budget():
    yield (), budget.daily_limit()


@gauge(
    "courseops_webhook_events",
    "Inbound webhook events by provider and status.",
    labels=("provider", "status"),
)
def webhook_events_by_status():
    return _counts(WebhookEvent.objects.all(), "provider", "status")


@gauge("courseops_incidents_open", "Open alert incidents, per check.", labels=("check",))
def incidents_open():
    return _counts(Incident.objects.filter(resolved_at__isnull=True), "check_name")


@gauge(
    "courseops_heartbeat_age_seconds",
    "Seconds since the worker or beat process was last seen (absent: never seen).",
    labels=("process",),
)
def heartbeat_age():
    for process in (heartbeat.WORKER, heartbeat.BEAT):
        age = heartbeat.seconds_since(process)
        if age is not None:
            yield (process,), age
