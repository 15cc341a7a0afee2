"""Retention: personal data past its period is blanked, set-based, in constant queries."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courseops.messaging.models import OutboundMessage, Status
from courseops.operations.privacy.retention import apply_retention
from courseops.webhooks.models import WebhookEvent
from marketing.models import Lead

pytestmark = pytest.mark.django_db


def _data(count, *, age_days, prefix):
    then = timezone.now() - timedelta(days=age_days)
    with time_machine.travel(then, tick=False):
        for n in range(count):
            WebhookEvent.objects.create(
                provider="stripe",
                event_id=f"{prefix}{n}",
                event_type="x",
                body='{"email": "a@b.c"}',
                payload={"email": "a@b.c"},
                status=WebhookEvent.Status.PROCESSED,
                received_at=then,
            )
            OutboundMessage.objects.create(
                channel="email",
                category="marketing",
                recipient=f"{prefix}{n}@example.com",
                subject="Hola",
                text_body="texto",
                html_body="<p>texto</p>",
                idempotency_key=f"{prefix}{n}",
                status=Status.SENT,
            )
            Lead.objects.create(
                email=f"{prefix}{n}@example.com",
                name="Ana",
                phone="+34600000000",
                first_source="api",
                last_source="api",
                last_seen_at=then,
            )


def test_old_data_is_blanked_recent_data_kept(settings):
    settings.RETENTION_WEBHOOK_PAYLOAD_DAYS = 90
    settings.RETENTION_MESSAGE_BODY_DAYS = 180
    settings.RETENTION_INACTIVE_LEAD_DAYS = 730
    _data(2, age_days=800, prefix="old")
    _data(1, age_days=30, prefix="new")

    done = apply_retention()

    assert done == {
        "webhooks.raw_payloads": 2,
        "messaging.bodies": 2,
        "marketing.inactive_leads": 2,
    }
    assert set(WebhookEvent.objects.filter(body="").values_list("event_id", flat=True)) == {
        "old0",
        "old1",
    }
    assert OutboundMessage.objects.get(idempotency_key="new0").text_body == "texto"
    assert OutboundMessage.objects.get(idempotency_key="old0").text_body == ""
    old = Lead.objects.exclude(email="new0@example.com")
    assert all(lead.email == f"borrado-lead-{lead.pk}@erased.invalid" for lead in old)
    assert Lead.objects.filter(phone="").count() == 2
    assert not OutboundMessage.objects.filter(recipient__startswith="old").exists()
    # A second run finds nothing left to do.
    assert set(apply_retention().values()) == {0}


def test_zero_days_keeps_everything(settings):
    settings.RETENTION_WEBHOOK_PAYLOAD_DAYS = 0
    settings.RETENTION_MESSAGE_BODY_DAYS = 0
    settings.RETENTION_INACTIVE_LEAD_DAYS = 0
    _data(1, age_days=3000, prefix="old")
    assert apply_retention() == {}
    assert WebhookEvent.objects.get().body


def test_constant_queries_whatever_the_rows():
    _data(2, age_days=800, prefix="a")
    with CaptureQueriesContext(connection) as small:
        apply_retention()
    _data(20, age_days=800, prefix="b")
    with CaptureQueriesContext(connection) as large:
        apply_retention()
    assert len(large) == len(small)


def test_task_is_installed():
    call_command("install_periodic_tasks")
    from django_celery_beat.models import PeriodicTask

    assert PeriodicTask.objects.filter(task="operations.apply_retention").exists()
