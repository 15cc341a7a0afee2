import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courseops.webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db
Status = WebhookEvent.Status
CHANGELIST = reverse("admin:webhooks_webhookevent_changelist")


def make_events(count, **fields):
    statuses = list(Status.values)
    return WebhookEvent.objects.bulk_create(
        WebhookEvent(
            provider=["typeform", "stripe", "generic", "twilio"][i % 4],
            event_id=f"evt-{i}",
            event_type=f"type.{i % 3}",
            status=statuses[i % len(statuses)],
            body='{"big": "' + "x" * 5000 + '"}',
            payload={"big": "x" * 5000},
            last_error="RuntimeError: " + "y" * 500 if i % 2 else "",
            **fields,
        )
        for i in range(count)
    )


def changelist_queries(client, count):
    WebhookEvent.objects.all().delete()
    make_events(count)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert response.content.count(b"evt-") >= count
    return queries


def test_the_event_list_loads_in_the_same_number_of_queries_for_2_and_20_events(client, staff_user):
    client.force_login(staff_user)
    client.get(CHANGELIST)  # warm up content types, sessions

    small = changelist_queries(client, 2)
    large = changelist_queries(client, 20)

    assert len(small) == len(large)


def test_the_event_list_never_loads_bodies_or_payloads(client, staff_user):
    client.force_login(staff_user)
    queries = changelist_queries(client, 3)

    listing = [q["sql"] for q in queries.captured_queries if "webhooks_webhookevent" in q["sql"]]
    assert listing
    for sql in listing:
        assert '"webhooks_webhookevent"."body"' not in sql
        assert '"webhooks_webhookevent"."payload"' not in sql


def test_the_list_shows_a_short_error_summary_and_filters_by_provider_status_and_type(
    client, staff_user
):
    client.force_login(staff_user)
    make_events(8)

    response = client.get(CHANGELIST, {"provider": "stripe", "status": "processing"})

    shown = [event.event_id for event in response.context["cl"].result_list]
    assert shown == ["evt-1"]  # stripe is every 4th from 1, processing every 6th from 1
    body = response.content.decode()
    assert "RuntimeError: yyy" in body
    assert "y" * 200 not in body  # the summary is cut, the full error stays on the detail
    by_type = client.get(CHANGELIST, {"event_type": "type.2"})
    assert {e.event_type for e in by_type.context["cl"].result_list} == {"type.2"}


def test_staff_search_an_event_by_its_id(client, staff_user):
    client.force_login(staff_user)
    make_events(5)

    response = client.get(CHANGELIST, {"q": "evt-3"})

    assert response.context["cl"].result_count == 1


def test_the_detail_page_is_read_only_and_shows_the_pretty_payload(client, staff_user):
    client.force_login(staff_user)
    event = WebhookEvent.objects.create(
        provider="typeform",
        event_id="abc",
        event_type="form_response",
        body='{"nombre":"José"}',
        payload={"nombre": "José", "<script>": 1},
        headers={"User-Agent": "Typeform Webhooks"},
    )

    response = client.get(reverse("admin:webhooks_webhookevent_change", args=[event.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert '"nombre": "José"' in body.replace("&quot;", '"')
    assert "&lt;script&gt;" in body
    assert 'name="_save"' not in body


def test_staff_rerun_a_failed_event_from_the_admin_and_its_handler_runs(
    client, staff_user, calls, django_capture_on_commit_callbacks
):
    calls.register("generic", "lead.created")
    client.force_login(staff_user)
    event = WebhookEvent.objects.create(
        provider="generic",
        event_id="evt-failed",
        event_type="lead.created",
        body="{}",
        status=Status.FAILED,
        attempts=6,
        last_error="RuntimeError: boom",
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            CHANGELIST, {"action": "rerun_selected", "_selected_action": [event.pk]}, follow=True
        )

    event.refresh_from_db()
    assert event.status == Status.PROCESSED
    assert calls == [("generic", "evt-failed", 1)]
    assert "1 evento vuelve a la cola." in response.content.decode()


def test_staff_who_may_only_view_events_cannot_rerun_them(client, django_user_model, calls):
    viewer = django_user_model.objects.create_user("luis", password="pw-luis-1234", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_webhookevent"))
    client.force_login(viewer)
    calls.register("generic", "lead.created")
    event = WebhookEvent.objects.create(
        provider="generic", event_id="e", event_type="lead.created", status=Status.FAILED
    )

    listing = client.get(CHANGELIST)
    client.post(CHANGELIST, {"action": "rerun_selected", "_selected_action": [event.pk]})

    assert listing.status_code == 200
    assert "rerun_selected" not in listing.content.decode()
    event.refresh_from_db()
    assert event.status == Status.FAILED
    assert calls == []


def test_demo_data_shows_one_event_per_outcome_and_loads_twice_unchanged(client):
    from django.core.management import call_command

    call_command("load_demo_data")
    call_command("load_demo_data")

    assert sorted(WebhookEvent.objects.values_list("status", flat=True)) == [
        "failed",
        "ignored",
        "processed",
    ]
    client.login(username="staff", password="courseops-demo")
    assert client.get(CHANGELIST).status_code == 200
