"""Deliveries: signed requests, retries with backoff for up to 3 days, an endpoint
failing for a day disabled with an alert, 410 Gone, takeover of a dead worker's delivery,
secret rotation, the SSRF guard, and an erased person's pending deliveries dropped."""

import socket
import subprocess
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from werkzeug import Response

from courseops.core.models import Holder
from courseops.operations.alerts.registry import registered_checks
from courseops.operations.privacy.services import erase_person
from courseops.outbound.models import Delivery, Endpoint
from courseops.outbound.services import delivery as service
from courseops.outbound.services.announce import announce
from courseops.outbound.services.endpoints import endpoint_create, endpoint_rotate_secret
from tests.outbound.conftest import RECEIVER_PATH, received, receiver_url, verified

pytestmark = pytest.mark.django_db
Status = Delivery.Status
EXAMPLE = {
    "lead": {
        "id": 7,
        "stage": "lead",
        "first_source": "landing",
        "language": "es",
        "student_id": None,
        "created_at": "2026-11-24T15:00:00Z",
    }
}


@pytest.fixture
def endpoint(httpserver):
    endpoint, _secret = endpoint_create(
        url=receiver_url(httpserver), events=["lead.created"], origin=Endpoint.Origin.ADMIN
    )
    return endpoint


def answer(httpserver, *statuses):
    """The receiver answers these statuses in order, then 200."""
    for status in statuses:
        httpserver.expect_ordered_request(RECEIVER_PATH, method="POST").respond_with_response(
            Response("no", status=status)
        )
    httpserver.expect_request(RECEIVER_PATH, method="POST").respond_with_data("ok")


def announced(django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return announce("lead.created", EXAMPLE, **kwargs)


def test_a_delivery_is_a_signed_post_with_the_standard_webhooks_headers(
    httpserver, endpoint, django_capture_on_commit_callbacks
):
    answer(httpserver)
    event = announced(django_capture_on_commit_callbacks)

    [(headers, body)] = received(httpserver)
    payload = verified(endpoint.secret, headers, body)
    assert payload["id"] == event.event_id
    assert payload["type"] == "lead.created"
    assert payload["data"] == EXAMPLE
    assert payload["timestamp"].startswith("2026-11-24T15:00")
    assert headers["Webhook-Id"] == event.event_id
    assert headers["Content-Type"] == "application/json"
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.last_status_code, delivery.attempts) == (
        Status.DELIVERED,
        200,
        1,
    )
    [attempt] = delivery.log.all()
    assert attempt.status_code == 200
    assert attempt.response_ms >= 0


def test_nobody_subscribed_means_nothing_is_stored(django_capture_on_commit_callbacks):
    assert announced(django_capture_on_commit_callbacks) is None
    assert not Delivery.objects.exists()


def test_a_failing_endpoint_is_retried_with_backoff_and_the_log_keeps_every_answer(
    httpserver, endpoint, django_capture_on_commit_callbacks
):
    answer(httpserver, 500, 503)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        announced(django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get()
    assert delivery.status == Status.RETRYING
    assert delivery.next_attempt_at == start + timedelta(minutes=1)

    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        assert service.deliveries_sweep() == 0  # not due yet
    with (
        time_machine.travel(start + timedelta(minutes=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert service.deliveries_sweep() == 1
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == start + timedelta(minutes=1 + 5)
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        service.deliveries_sweep()
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert list(delivery.log.order_by("started_at").values_list("status_code", flat=True)) == [
        500,
        503,
        200,
    ]
    webhook_ids = {headers["Webhook-Id"] for headers, _body in received(httpserver)}
    assert len(webhook_ids) == 1  # the same id on every retry
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None  # a success clears it


def test_an_endpoint_failing_for_a_day_is_disabled_with_an_alert_and_the_rest_fails(
    httpserver, endpoint, django_capture_on_commit_callbacks
):
    httpserver.expect_request(RECEIVER_PATH, method="POST").respond_with_data("no", status=500)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        announced(django_capture_on_commit_callbacks)
    moment = start
    for _ in range(8):  # retries at +1 min, +5 min, +30 min, +2 h, +5 h, +10 h, +10 h...
        moment = Delivery.objects.get().next_attempt_at
        with time_machine.travel(moment, tick=False):
            service.deliveries_sweep()
        endpoint.refresh_from_db()
        if not endpoint.is_active:
            break
    assert not endpoint.is_active
    assert moment - start >= timedelta(days=1)
    assert "un día" in endpoint.disabled_reason
    assert Delivery.objects.get().status == Status.FAILED
    [finding] = registered_checks()["outbound.endpoint_disabled"].run(timezone.now())
    assert finding.key == str(endpoint.pk)
    # Nothing more is sent to it.
    sent = len(received(httpserver))
    announced(django_capture_on_commit_callbacks)
    assert len(received(httpserver)) == sent


def test_a_delivery_is_given_up_3_days_after_its_event(httpserver, endpoint):
    httpserver.expect_request(RECEIVER_PATH, method="POST").respond_with_data("no", status=502)
    start = timezone.now()
    event = announce("lead.created", EXAMPLE, now=start)
    delivery = event.deliveries.get()
    # A receiver that succeeds now and then (so the endpoint stays on) but not for us.
    for moment in (start + timedelta(days=2, hours=20), start + timedelta(days=2, hours=23)):
        Delivery.objects.filter(pk=delivery.pk).update(status=Status.RETRYING, attempts=7)
        Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
        with time_machine.travel(moment, tick=False):
            service.delivery_send(delivery_pk=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    assert "3 días" in delivery.last_error


def test_410_gone_unsubscribes_the_endpoint_as_rest_hooks_say(
    httpserver, endpoint, django_capture_on_commit_callbacks
):
    answer(httpserver, 410)
    announced(django_capture_on_commit_callbacks)

    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert Delivery.objects.get().status == Status.FAILED


def test_a_dead_workers_delivery_is_taken_over_at_once_and_sent_with_the_same_id(
    httpserver, endpoint, django_capture_on_commit_callbacks
):
    answer(httpserver)
    event = announce("lead.created", EXAMPLE)  # no on-commit: as if the task were lost
    process = subprocess.Popen(["true"])
    process.wait()
    dead = f"{socket.gethostname()}:{process.pid}"
    now = timezone.now()
    Holder.objects.create(name=dead, started_at=now, last_seen=now)
    Delivery.objects.update(
        status=Status.SENDING,
        held_by=dead,
        claimed_at=now,
        next_attempt_at=now + timedelta(minutes=5),
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert service.deliveries_sweep() == 1

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.takeovers) == (Status.DELIVERED, 1)
    [(headers, _body)] = received(httpserver)
    assert headers["Webhook-Id"] == event.event_id


def test_a_live_workers_delivery_is_left_alone_by_the_sweeper(endpoint):
    announce("lead.created", EXAMPLE)
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        service._claim(Delivery.objects.get().pk, now)  # this process holds it
        assert service.deliveries_sweep() == 0
    assert Delivery.objects.get().status == Status.SENDING


def test_after_a_rotation_both_secrets_sign_for_a_day_then_only_the_new_one(
    httpserver, endpoint, django_capture_on_commit_callbacks
):
    answer(httpserver)
    old = endpoint.secret
    new = endpoint_rotate_secret(endpoint=endpoint)
    announced(django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        announced(django_capture_on_commit_callbacks)

    (during_headers, during_body), (after_headers, after_body) = received(httpserver)
    assert verified(old, during_headers, during_body)
    assert verified(new, during_headers, during_body)
    assert len(during_headers["Webhook-Signature"].split()) == 2
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        assert verified(new, after_headers, after_body)
    assert len(after_headers["Webhook-Signature"].split()) == 1


def test_a_private_address_is_refused_at_send_time_too(settings, endpoint):
    """The guard runs again on every request (the endpoint was saved while the operator
    allowed the loopback network; production allows none)."""
    settings.HTTP_USER_URL_ALLOWED_NETWORKS = []
    announce("lead.created", EXAMPLE)

    service.delivery_send(delivery_pk=Delivery.objects.get().pk)

    delivery = Delivery.objects.get()
    assert delivery.status == Status.RETRYING
    assert "127.0.0.1" in delivery.last_error
    assert delivery.log.get().status_code is None


def test_an_erased_persons_pending_deliveries_are_dropped_and_their_content_blanked(endpoint):
    announce("lead.created", EXAMPLE, person_email="Marta@Example.com")
    announce("lead.created", EXAMPLE, person_email="otra@example.com")

    erase_person("marta@example.com")

    dropped = Delivery.objects.get(event__payload={})
    assert dropped.status == Status.DROPPED
    assert Delivery.objects.exclude(pk=dropped.pk).get().status == Status.PENDING
    assert service.deliveries_replay(delivery_pks=[dropped.pk], user=None) == (0, 1)


def test_data_that_breaks_its_schema_is_not_sent(endpoint):
    wrong = {"lead": {**EXAMPLE["lead"], "email": "marta@example.com"}}

    assert announce("lead.created", wrong) is None
    assert not Delivery.objects.exists()


def test_an_unregistered_event_is_a_programming_error():
    with pytest.raises(ValueError, match="lead.deleted"):
        announce("lead.deleted", {})
