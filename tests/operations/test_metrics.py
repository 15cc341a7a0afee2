from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courseops.ai.models import AIUsage
from courseops.messaging.models import OutboundMessage
from courseops.operations.models import Incident
from courseops.reviews.models import Draft
from courseops.webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db
TOKEN = "scrape-token-0123456789"


@pytest.fixture(autouse=True)
def _token(settings):
    settings.METRICS_BEARER_TOKEN = TOKEN


def scrape(client, **headers):
    return client.get("/metrics", headers=headers)


def make_rows(n, offset=0):
    OutboundMessage.objects.bulk_create(
        OutboundMessage(
            channel="email",
            recipient="a@example.com",
            idempotency_key=f"m{offset + i}",
            status="sent" if i % 2 else "queued",
        )
        for i in range(n)
    )
    Draft.objects.bulk_create(
        Draft(kind="welcome_email", subject="Hola", body="x") for _ in range(n)
    )
    WebhookEvent.objects.bulk_create(
        WebhookEvent(provider="stripe", event_id=f"e{offset + i}", event_type="t", body="{}")
        for i in range(n)
    )


def test_metrics_need_the_bearer_token_or_a_staff_session(client, staff_user):
    assert scrape(client).status_code == 401
    assert scrape(client, Authorization="Bearer wrong").status_code == 401
    assert scrape(client, Authorization=f"Bearer {TOKEN}").status_code == 200
    client.force_login(staff_user)
    assert scrape(client).status_code == 200


def test_without_a_token_setting_only_staff_may_scrape(client, settings):
    settings.METRICS_BEARER_TOKEN = ""
    assert scrape(client, Authorization="Bearer ").status_code == 401


def test_metrics_carry_the_domain_gauges_in_prometheus_format(client):
    make_rows(4)
    AIUsage.objects.create(provider="openai", model="gpt-4o", cost_usd=Decimal("1.25"))
    Incident.objects.create(
        check_name="ai.budget",
        title="x",
        opened_at="2026-11-25T00:00Z",
        last_seen_at="2026-11-25T00:00Z",
    )

    response = scrape(client, Authorization=f"Bearer {TOKEN}")

    assert response["Content-Type"].startswith("text/plain; version=")
    text = response.content.decode()
    assert 'courseops_outbox_messages{channel="email",status="queued"} 2.0' in text
    assert 'courseops_outbox_messages{channel="email",status="sent"} 2.0' in text
    assert 'courseops_review_drafts_pending{kind="welcome_email"} 4.0' in text
    assert 'courseops_webhook_events{provider="stripe",status="received"} 4.0' in text
    assert "courseops_ai_cost_today_usd 1.25" in text
    assert "courseops_ai_daily_budget_usd 20.0" in text
    assert 'courseops_incidents_open{check="ai.budget"} 1.0' in text
    for queue in ("critical", "default", "bulk", "media", "ai"):
        assert f'courseops_celery_queue_depth{{queue="{queue}"}}' in text
    assert "process_cpu_seconds_total" in text


def test_a_scrape_runs_the_same_number_of_queries_whatever_the_data(client):
    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert scrape(client, Authorization=f"Bearer {TOKEN}").status_code == 200
        return len(ctx.captured_queries)

    make_rows(2)
    small = queries()
    make_rows(50, offset=100)
    assert queries() == small
