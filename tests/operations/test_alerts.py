import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from celery.exceptions import Retry
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from httpx import Response

from courseops.ai.models import AIUsage
from courseops.audit.models import AuditEntry
from courseops.messaging import tasks as messaging_tasks
from courseops.messaging.models import OutboundMessage
from courseops.messaging.services import queue_email
from courseops.operations.alerts import registry
from courseops.operations.alerts.registry import Finding
from courseops.operations.alerts.services import evaluate_alerts
from courseops.operations.models import Incident
from courseops.operations.tasks import evaluate_alerts as evaluate_task
from courseops.operations.tasks import notify_incident
from courseops.webhooks import registry as webhook_registry
from courseops.webhooks import services as webhooks
from courseops.webhooks.errors import PermanentWebhookError
from courseops.webhooks.models import WebhookEvent
from courseops.webhooks.providers.base import InboundEvent
from tests.conftest import lost_broker

pytestmark = pytest.mark.django_db
START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def evaluate(capture, *, only, at=None, times=3):
    with time_machine.travel(at or START, tick=False):
        for _ in range(times):
            with capture(execute=True):
                evaluate_alerts(only=only)


def alert_mails():
    return [m for m in mail.outbox if m.subject.startswith("[CourseOps]")]


@pytest.fixture
def crm_handler(monkeypatch):
    """A generic-provider handler that fails until `crm_handler.fixed` is set."""
    monkeypatch.setattr(webhook_registry, "_handlers", {})
    monkeypatch.setattr(webhook_registry, "_discovered", True)

    class Crm:
        fixed = False

    @webhook_registry.webhook_handler("generic", "lead.created")
    def handler(event):
        if not Crm.fixed:
            raise PermanentWebhookError("El CRM rechazó el lead: campo 'email' vacío")

    return Crm


def receive(capture, event_id):
    with time_machine.travel(START - timedelta(minutes=5), tick=False), capture(execute=True):
        event, _ = webhooks.event_receive(
            provider="generic",
            inbound=InboundEvent(
                event_id=event_id, event_type="lead.created", payload={}, body="{}"
            ),
            headers={},
        )
    return event


def test_a_failing_handler_raises_one_alert_and_one_resolution_across_evaluations(
    crm_handler, slack, django_capture_on_commit_callbacks, staff_user
):
    capture = django_capture_on_commit_callbacks
    event = receive(capture, "evt-1")
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.FAILED

    evaluate(capture, only={"webhooks.handler_failures"})

    incident = Incident.objects.get()
    assert incident.is_open
    assert incident.key == "generic"
    assert "generic" in incident.title
    assert "campo 'email' vacío" in incident.detail
    [opened] = alert_mails()
    assert opened.to == ["ops@example.com"]
    assert opened.subject.startswith("[CourseOps] Alerta: Webhooks de generic fallando")
    assert len(slack.calls) == 1
    assert "Alerta" in json.loads(slack.calls[0].request.content)["text"]

    crm_handler.fixed = True
    with time_machine.travel(START, tick=False), capture(execute=True):
        webhooks.events_rerun(event_pks=[event.pk], user=staff_user)
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.PROCESSED

    evaluate(capture, only={"webhooks.handler_failures"}, at=START + timedelta(minutes=1))

    incident.refresh_from_db()
    assert incident.resolved_at == START + timedelta(minutes=1)
    assert [m.subject[:22] for m in alert_mails()] == [
        "[CourseOps] Alerta: We",
        "[CourseOps] Resuelto: ",
    ]
    assert len(slack.calls) == 2
    assert "Resuelto" in json.loads(slack.calls[1].request.content)["text"]
    assert list(
        AuditEntry.objects.filter(action__startswith="operations.incident").values_list(
            "action", flat=True
        )
    ) == ["operations.incident.resolved", "operations.incident.opened"]


def test_the_same_problem_after_a_resolution_is_a_new_incident(
    crm_handler, slack, django_capture_on_commit_callbacks, staff_user
):
    capture = django_capture_on_commit_callbacks
    receive(capture, "evt-1")
    evaluate(capture, only={"webhooks.handler_failures"}, times=1)
    WebhookEvent.objects.update(status=WebhookEvent.Status.PROCESSED)
    evaluate(capture, only={"webhooks.handler_failures"}, times=1)
    receive(capture, "evt-2")
    evaluate(capture, only={"webhooks.handler_failures"}, times=2)

    assert Incident.objects.count() == 2
    assert Incident.objects.filter(resolved_at__isnull=True).count() == 1
    assert len(slack.calls) == 3  # opened, resolved, opened again


def test_a_stuck_outbox_raises_one_alert_and_one_resolution(
    slack, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    with time_machine.travel(START, tick=False), capture(execute=False):
        queue_email(to="eva@example.com", idempotency_key="welcome:1", subject="Hola", text="x")

    check = {"messaging.outbox_stuck"}
    evaluate(capture, only=check, at=START + timedelta(minutes=10))
    assert Incident.objects.count() == 0  # due 10 minutes ago: still within the setting

    evaluate(capture, only=check, at=START + timedelta(minutes=20))
    incident = Incident.objects.get()
    assert "1 mensaje sin enviar" in incident.title
    assert len(slack.calls) == 1

    with time_machine.travel(START, tick=False), capture(execute=False):
        queue_email(to="leo@example.com", idempotency_key="welcome:2", subject="Hola", text="x")
    evaluate(capture, only=check, at=START + timedelta(minutes=21))
    incident.refresh_from_db()
    assert "2 mensajes sin enviar" in incident.title  # kept current, without a new alert
    assert len(slack.calls) == 1

    with time_machine.travel(START + timedelta(minutes=21), tick=False), capture(execute=True):
        messaging_tasks.sweep_outbox.apply()
    assert not OutboundMessage.objects.filter(status="queued").exists()

    evaluate(capture, only=check, at=START + timedelta(minutes=22))
    incident.refresh_from_db()
    assert incident.resolved_at is not None
    assert len(slack.calls) == 2
    subjects = [m.subject for m in alert_mails()]
    assert len(subjects) == 2
    assert subjects[1].startswith("[CourseOps] Resuelto: Bandeja")


def test_a_rising_failure_rate_of_the_outbox_raises_an_alert(
    slack, settings, django_capture_on_commit_callbacks
):
    settings.ALERTS_OUTBOX_FAILURE_MIN_MESSAGES = 10
    with time_machine.travel(START, tick=False):
        for n in range(10):
            OutboundMessage.objects.create(
                channel="email",
                recipient=f"p{n}@example.com",
                idempotency_key=f"m{n}",
                status="failed" if n < 3 else "sent",
            )
    evaluate(django_capture_on_commit_callbacks, only={"messaging.outbox_failing"}, times=1)
    assert "30% de los últimos envíos fallaron" in Incident.objects.get().title


def test_a_slack_outage_is_retried_and_the_alert_posted_once(
    slack, django_capture_on_commit_callbacks
):
    slack.side_effect = [Response(503), Response(200, text="ok")]
    with time_machine.travel(START, tick=False):
        AIUsage.objects.create(provider="openai", model="gpt-4o", cost_usd=Decimal("19"))
    with pytest.raises(Retry):  # eager Celery surfaces the retry it schedules
        evaluate(django_capture_on_commit_callbacks, only={"ai.budget"}, times=1)
    incident = Incident.objects.get()
    assert "19.00 de 20.00 USD" in incident.title
    assert incident.slack_opened_at is None  # the claim is released for the retry

    notify_incident.apply(args=[incident.pk, "opened"])  # what the scheduled retry runs
    evaluate(django_capture_on_commit_callbacks, only={"ai.budget"}, times=2)

    incident.refresh_from_db()
    assert incident.slack_opened_at is not None
    assert len(slack.calls) == 2  # the 503, then the retry that went through
    assert OutboundMessage.objects.filter(idempotency_key__startswith="alert:").count() == 1


def test_an_alert_and_its_resolution_lost_with_the_broker_are_sent_once_by_the_sweeper(
    slack, django_capture_on_commit_callbacks
):
    from courseops.operations.tasks import notify_due_incidents

    with time_machine.travel(START, tick=False):
        usage = AIUsage.objects.create(provider="openai", model="gpt-4o", cost_usd=Decimal("19"))
    with lost_broker():
        evaluate(django_capture_on_commit_callbacks, only={"ai.budget"}, times=1)
        AIUsage.objects.filter(pk=usage.pk).delete()
        evaluate(
            django_capture_on_commit_callbacks,
            only={"ai.budget"},
            at=START + timedelta(minutes=1),
            times=1,
        )
    incident = Incident.objects.get()
    assert incident.resolved_at is not None
    assert (len(slack.calls), alert_mails()) == (0, [])

    with time_machine.travel(START + timedelta(minutes=5), tick=False):
        notify_due_incidents.apply()  # within the grace the task is not presumed lost
    assert len(slack.calls) == 0
    with time_machine.travel(START + timedelta(minutes=12), tick=False):
        notify_due_incidents.apply()
        notify_due_incidents.apply()

    texts = [json.loads(call.request.content)["text"] for call in slack.calls]
    assert [text.split(":")[0] for text in texts] == ["[CourseOps] Alerta", "[CourseOps] Resuelto"]
    emails = OutboundMessage.objects.filter(idempotency_key__startswith="alert:")
    assert sorted(
        key.split(":")[2] for key in emails.values_list("idempotency_key", flat=True)
    ) == [
        "opened",
        "resolved",
    ]
    assert Incident.objects.get().notify_due_since is None


def test_a_rejected_slack_url_is_not_retried_and_email_still_goes(
    slack, django_capture_on_commit_callbacks
):
    slack.return_value = Response(404, text="no_service")
    with time_machine.travel(START, tick=False):
        AIUsage.objects.create(provider="openai", model="gpt-4o", cost_usd=Decimal("17"))
    evaluate(django_capture_on_commit_callbacks, only={"ai.budget"})

    assert len(slack.calls) == 1
    assert len(alert_mails()) == 1


def test_the_ai_budget_alert_clears_when_the_day_turns(slack, django_capture_on_commit_callbacks):
    with time_machine.travel(START, tick=False):
        AIUsage.objects.create(provider="openai", model="gpt-4o", cost_usd=Decimal("15.99"))
    evaluate(django_capture_on_commit_callbacks, only={"ai.budget"}, times=1)
    assert Incident.objects.count() == 0  # under 80 % of 20 USD

    with time_machine.travel(START, tick=False):
        AIUsage.objects.create(provider="openai", model="gpt-4o", cost_usd=Decimal("0.01"))
    evaluate(django_capture_on_commit_callbacks, only={"ai.budget"}, times=1)
    assert Incident.objects.get().is_open

    evaluate(django_capture_on_commit_callbacks, only={"ai.budget"}, at=START + timedelta(days=1))
    assert not Incident.objects.get().is_open


def test_a_periodic_task_that_did_not_run_on_time_raises_an_alert(
    slack, django_capture_on_commit_callbacks
):
    PeriodicTask.objects.all().delete()  # `migrate` installed the real schedule: just these
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=60, period="seconds")
    PeriodicTask.objects.create(
        name="messaging.sweep_outbox",
        task="messaging.sweep_outbox",
        interval=every_minute,
        last_run_at=START - timedelta(minutes=5),
    )
    PeriodicTask.objects.create(
        name="paused", task="x", interval=every_minute, enabled=False, last_run_at=START
    )
    check = {"core.periodic_late"}
    evaluate(django_capture_on_commit_callbacks, only=check, times=1)
    assert Incident.objects.count() == 0  # 4 minutes late: within the 10-minute grace

    evaluate(django_capture_on_commit_callbacks, only=check, at=START + timedelta(minutes=10))
    incident = Incident.objects.get()
    assert incident.key == "messaging.sweep_outbox"

    PeriodicTask.objects.filter(name="messaging.sweep_outbox").update(
        last_run_at=START + timedelta(minutes=10)
    )
    evaluate(django_capture_on_commit_callbacks, only=check, at=START + timedelta(minutes=11))
    incident.refresh_from_db()
    assert not incident.is_open


def test_a_provider_silent_much_longer_than_usual_raises_an_alert(
    slack, settings, django_capture_on_commit_callbacks
):
    settings.ALERTS_PROVIDER_MIN_EVENTS = 20
    # Typeform sends about one event an hour (28 in 28 hours), then nothing.
    WebhookEvent.objects.bulk_create(
        WebhookEvent(
            provider="typeform",
            event_id=f"t{n}",
            event_type="form_response",
            status="processed",
            body="{}",
            received_at=START - timedelta(days=28) + timedelta(days=n),
        )
        for n in range(28)
    )
    check = {"webhooks.provider_silent"}
    # Last event at START - 1 day: usual gap 1 day x factor 4 = silent for 4 days is odd.
    evaluate(django_capture_on_commit_callbacks, only=check, at=START + timedelta(days=2))
    assert Incident.objects.count() == 0

    evaluate(django_capture_on_commit_callbacks, only=check, at=START + timedelta(days=4))
    assert Incident.objects.get().key == "typeform"


def test_worker_and_beat_heartbeats_are_checked(slack, django_capture_on_commit_callbacks):
    from courseops.core import heartbeat

    with time_machine.travel(START, tick=False):
        heartbeat.record(heartbeat.WORKER)
    evaluate(django_capture_on_commit_callbacks, only={"core.heartbeats"}, times=1)
    assert list(Incident.objects.values_list("key", flat=True)) == ["beat"]


def test_a_broken_check_neither_stops_the_others_nor_resolves_its_incidents(
    slack, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(registry, "_CHECKS", dict(registry._CHECKS))
    state = {"broken": False}

    @registry.alert_check("tests.flaky", "flaky")
    def flaky(now):
        if state["broken"]:
            raise RuntimeError("query timed out")
        yield Finding(title="Algo va mal")

    @registry.alert_check("tests.steady", "steady")
    def steady(now):
        yield Finding(title="Siempre mal")

    only = {"tests.flaky", "tests.steady"}
    evaluate(django_capture_on_commit_callbacks, only=only, times=1)
    state["broken"] = True
    evaluate(django_capture_on_commit_callbacks, only=only, times=2)

    assert Incident.objects.filter(resolved_at__isnull=True).count() == 2
    assert len(slack.calls) == 2


def test_the_periodic_evaluation_runs_every_check_in_constant_queries(
    slack, django_capture_on_commit_callbacks
):
    def make_rows(count, start):
        OutboundMessage.objects.bulk_create(
            OutboundMessage(channel="email", recipient="x@example.com", idempotency_key=f"q{n}")
            for n in range(start, start + count)
        )
        WebhookEvent.objects.bulk_create(
            WebhookEvent(
                provider="generic",
                event_id=f"e{n}",
                event_type="t",
                status="failed",
                body="{}",
                received_at=START,
            )
            for n in range(start, start + count)
        )

    def queries():
        Incident.objects.all().delete()
        with (
            time_machine.travel(START + timedelta(hours=1), tick=False),
            CaptureQueriesContext(connection) as ctx,
        ):
            evaluate_task.apply()
        return len(ctx.captured_queries)

    make_rows(3, 0)
    small = queries()
    make_rows(60, 100)
    assert queries() == small


def test_the_incident_list_runs_in_constant_queries(client, staff_user):
    def page_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/admin/operations/incident/?abierta=si").status_code == 200
        return len(ctx.captured_queries)

    def incidents(count, start):
        Incident.objects.bulk_create(
            Incident(
                check_name="tests",
                key=str(n),
                title=f"Alerta {n}",
                opened_at=START,
                last_seen_at=START,
            )
            for n in range(start, start + count)
        )

    client.force_login(staff_user)
    incidents(2, 0)
    small = page_queries()
    incidents(40, 100)
    assert page_queries() == small
