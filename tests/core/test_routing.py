"""Queues by urgency, routed in code."""

import pytest
from kombu import Queue

from courseops.celery import app as celery_app
from courseops.core import routing
from courseops.messaging.models import Category


def _queue_of(task_name, **options):
    route = celery_app.amqp.router.route(options, task_name, (), {})
    return route["queue"].name if isinstance(route["queue"], Queue) else route["queue"]


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("webhooks.process_event", "critical"),
        ("webinars.confirm_registration", "critical"),
        ("marketing.run_campaigns", "bulk"),
        ("marketing.run_sequences", "bulk"),
        ("engagement.weekly_report", "bulk"),
        ("content.run_job", "media"),
        ("webinars.process_recording", "media"),
        ("engagement.draft_nudges", "ai"),
        ("webinars.draft_reminder_text", "ai"),
        ("messaging.sweep_outbox", "default"),
        ("core.heartbeat", "default"),
    ],
)
def test_each_task_goes_to_the_queue_of_its_urgency(task, queue):
    assert _queue_of(task) == queue


def test_every_routed_task_exists_so_a_renamed_task_cannot_fall_back_silently():
    celery_app.loader.import_default_modules()
    assert set(routing.ROUTES) <= set(celery_app.tasks)


def test_a_worker_started_without_queues_consumes_all_of_them():
    assert set(celery_app.amqp.queues) == {"critical", "default", "bulk", "media", "ai"}


def test_outbox_messages_go_by_kind_transactional_first():
    transactional = routing.outbox_send_options(Category.TRANSACTIONAL)
    marketing = routing.outbox_send_options(Category.MARKETING)

    assert transactional["queue"] == "critical"
    assert marketing["queue"] == "bulk"
    assert transactional["priority"] < marketing["priority"]
    assert _queue_of("messaging.send_message", **transactional) == "critical"
    assert _queue_of("messaging.send_message", **marketing) == "bulk"


def test_reminders_within_two_hours_are_critical_and_earlier_ones_are_not():
    assert routing.reminder_send_options(10 * 60)["queue"] == "critical"
    assert routing.reminder_send_options(2 * 3600)["queue"] == "critical"
    assert routing.reminder_send_options(24 * 3600)["queue"] == "default"


@pytest.mark.django_db
def test_queueing_a_sign_in_link_enqueues_it_on_the_critical_queue_first_in_line(
    django_capture_on_commit_callbacks, monkeypatch
):
    from courseops.messaging.services import queue_email
    from courseops.messaging.tasks import send_message

    sent = []
    monkeypatch.setattr(
        send_message, "apply_async", lambda args=None, **options: sent.append((args, options))
    )
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_email(
            to="ana@example.com", idempotency_key="portal-link", subject="Entra", text="x"
        )

    assert sent == [([message.pk], {"queue": "critical", "routing_key": "critical", "priority": 0})]
