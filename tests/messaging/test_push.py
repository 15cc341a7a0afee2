import io
import json
import socket
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection

from courseops.messaging.models import (
    BudgetRule,
    Category,
    Channel,
    OutboundMessage,
    PushSubscription,
    Status,
)
from courseops.messaging.services import (
    deliver_message,
    queue_push,
    subscribe_push,
    unsubscribe_push,
)
from courseops.messaging.tasks import send_message
from tests.push import BrowserKeys

pytestmark = pytest.mark.django_db

ANA = "ana@example.com"


def subscribe(browser, address=ANA):
    return subscribe_push(address=address, **browser.as_json()["keys"], endpoint=browser.endpoint)


def send(message):
    return deliver_message(
        message_id=message.pk, max_attempts=3, retry_delay=lambda attempts: timedelta(minutes=1)
    )


def test_a_push_is_encrypted_for_the_browser_and_signed_with_our_vapid_key(push_service):
    browser = push_service.new_browser()
    subscribe(browser)

    message = queue_push(
        to=ANA,
        idempotency_key="push-1",
        title="Webinar: IA para todos",
        body="Empieza en 2 horas.",
        url="https://example.com/portal/webinars/",
    )
    assert send(message).status == Status.SENT

    [request] = push_service.pushes(browser)
    # RFC 8291: only the browser's private key opens it (the push service cannot read it).
    assert push_service.notice(request, browser) == {
        "title": "Webinar: IA para todos",
        "body": "Empieza en 2 horas.",
        "url": "https://example.com/portal/webinars/",
    }
    assert b"Empieza" not in request.get_data()
    message.refresh_from_db()
    assert message.channel == Channel.PUSH
    assert message.provider == "webpush"
    assert message.provider_message_id.startswith(push_service.origin + "/message/")


def test_every_browser_of_the_person_gets_it_once_even_when_the_send_task_runs_twice(
    push_service, django_capture_on_commit_callbacks
):
    laptop, phone = push_service.new_browser(), push_service.new_browser()
    subscribe(laptop)
    subscribe(phone)

    with django_capture_on_commit_callbacks(execute=True):
        message = queue_push(
            to=ANA, idempotency_key="push-twice", title="Hola", body="Nueva lección"
        )
    send_message.apply(args=[message.pk])  # a duplicated task: the row is claimed once
    queue_push(to=ANA, idempotency_key="push-twice", title="Hola", body="Nueva lección")

    assert len(push_service.pushes(laptop)) == 1
    assert len(push_service.pushes(phone)) == 1
    assert OutboundMessage.objects.filter(channel=Channel.PUSH).count() == 1


def test_a_subscription_the_push_service_says_is_gone_is_removed(push_service):
    kept, gone = push_service.new_browser(), push_service.new_browser()
    subscribe(kept)
    subscribe(gone)
    push_service.answer(gone, 410)

    message = queue_push(to=ANA, idempotency_key="push-gone", title="Hola", body="x")
    assert send(message).status == Status.SENT

    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [kept.endpoint]


def test_when_every_subscription_is_gone_the_message_fails_without_retrying(push_service):
    browser = push_service.new_browser()
    subscribe(browser)
    push_service.answer(browser, 404)

    message = queue_push(to=ANA, idempotency_key="push-404", title="Hola", body="x")
    assert send(message).status == Status.FAILED
    assert not PushSubscription.objects.exists()
    message.refresh_from_db()
    assert "404" in message.last_error


def test_a_push_service_outage_is_retried_later(push_service):
    browser = push_service.new_browser()
    subscribe(browser)
    push_service.answer(browser, 503)

    message = queue_push(to=ANA, idempotency_key="push-503", title="Hola", body="x")
    delivery = send(message)

    assert delivery.status == Status.AWAITING_RETRY
    assert PushSubscription.objects.count() == 1


def test_nothing_is_queued_for_a_person_without_a_subscribed_browser(push_service):
    assert queue_push(to="nadie@example.com", idempotency_key="p", title="t", body="b") is None
    assert not OutboundMessage.objects.exists()


def test_nothing_is_queued_when_push_is_off(push_service, settings):
    subscribe(push_service.new_browser())
    settings.WEBPUSH_VAPID_PRIVATE_KEY = settings.WEBPUSH_VAPID_PUBLIC_KEY = ""

    assert queue_push(to=ANA, idempotency_key="p", title="t", body="b") is None


def test_push_keys_are_stored_encrypted(push_service):
    browser = push_service.new_browser()
    subscription = subscribe(browser)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT endpoint, p256dh, auth FROM messaging_pushsubscription WHERE id = %s",
            [subscription.pk],
        )
        stored = cursor.fetchone()
    assert browser.endpoint not in stored[0]
    assert browser.p256dh not in stored[1]
    assert browser.auth not in stored[2]
    assert PushSubscription.objects.get().auth == browser.auth


def test_a_browser_that_subscribes_again_keeps_one_row_with_its_new_keys(push_service):
    browser = push_service.new_browser()
    subscribe(browser)
    again = type(browser)(endpoint=browser.endpoint)
    subscribe(again, address="Luis@Example.com")

    subscription = PushSubscription.objects.get()
    assert subscription.address == "luis@example.com"
    assert subscription.p256dh == again.p256dh


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://169.254.169.254/latest/meta-data/",
        "http://fcm.googleapis.com/fcm/send/abc",
        "https://fcm.googleapis.com.evil.example/fcm/send/abc",
        "https://evil.example/?https://fcm.googleapis.com/",
        # Text before the first "/" is not the host: a "?", "#" or ":" ends it.
        "https://169.254.169.254?.notify.windows.com/latest",
        "https://10.0.0.5:6379#.notify.windows.com/",
        "https://10.0.0.5:6379/.notify.windows.com/",
        "https://fcm.googleapis.com:6379/fcm/send/abc",
        "https://fcm.googleapis.com@10.0.0.5/fcm/send/abc",
        "https://user@fcm.googleapis.com/fcm/send/abc",
        "https://fcm.googleapis.com/fcm/send/abc#frag",
        "https://a.b.notify.windows.com/w/?token=abc",
        "https://.notify.windows.com/w/",
        "https://notify.windows.com/w/",
        # urlsplit and the HTTP client disagree on where these hosts end ("\\" ends it
        # for the client: it would post to localhost or 127.0.0.1).
        "https://localhost\\x.notify.windows.com/w/?token=1",
        "https://2130706433\\x.notify.windows.com/",
        "https://127.0.0.1\\@fcm.googleapis.com/x",
        "https://[::1]\\.notify.windows.com/",
        "https://127.0.0.1%2f.notify.windows.com/",
        "https://a\u3002notify.windows.com/",
        # Hosts and paths the HTTP client cannot parse: refused, not an error page.
        "https://xn--.notify.windows.com/",
        "https://fcm.googleapis.com/\x7f",
        "https://fcm.googleapis.com/a b",
    ],
)
def test_an_endpoint_off_the_known_push_services_is_refused(push_service, settings, endpoint):
    settings.WEBPUSH_SERVICE_URLS = ["https://fcm.googleapis.com/", "https://*.notify.windows.com/"]
    browser = push_service.new_browser()
    with pytest.raises(ValidationError):
        subscribe_push(address=ANA, endpoint=endpoint, p256dh=browser.p256dh, auth=browser.auth)


def test_a_wildcard_push_service_matches_one_label(push_service, settings):
    settings.WEBPUSH_SERVICE_URLS = ["https://*.notify.windows.com/"]
    browser = push_service.new_browser()
    endpoint = "https://db5p.notify.windows.com/w/?token=abc"
    subscribe_push(address=ANA, endpoint=endpoint, p256dh=browser.p256dh, auth=browser.auth)
    assert PushSubscription.objects.count() == 1


def test_a_push_service_on_a_private_address_is_refused_unless_the_operator_opens_it(
    push_service, settings
):
    browser = push_service.new_browser()
    settings.HTTP_USER_URL_ALLOWED_NETWORKS = []
    with pytest.raises(ValidationError):
        subscribe(browser)
    settings.HTTP_USER_URL_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    assert subscribe(browser).endpoint == browser.endpoint


def test_a_push_service_name_that_resolves_to_a_private_address_gets_no_post(
    push_service, settings, monkeypatch
):
    browser = push_service.new_browser()
    port = push_service.server.port
    settings.WEBPUSH_SERVICE_URLS = [f"http://*.push.example:{port}/"]
    endpoint = f"http://eu.push.example:{port}{urlparse(browser.endpoint).path}"
    subscribe_push(address=ANA, endpoint=endpoint, p256dh=browser.p256dh, auth=browser.auth)
    real = socket.getaddrinfo

    def fake_dns(host, *args, **kwargs):
        if host == "eu.push.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)
    settings.HTTP_USER_URL_ALLOWED_NETWORKS = []
    message = queue_push(to=ANA, idempotency_key="push-rebind", title="t", body="b")

    assert send(message).status == Status.FAILED
    assert push_service.pushes() == []
    message.refresh_from_db()
    assert "eu.push.example apunta a 127.0.0.1" in message.last_error


def test_a_push_service_redirect_is_not_followed(push_service):
    browser = BrowserKeys(endpoint=push_service.origin + "/push/moved")
    subscribe(browser)
    server = push_service.server
    server.expect_request("/push/moved", method="POST").respond_with_data(
        "", status=307, headers={"Location": push_service.origin + "/internal"}
    )
    server.expect_request("/internal", method="POST").respond_with_data("", status=201)
    message = queue_push(to=ANA, idempotency_key="push-redirect", title="t", body="b")

    assert send(message).status == Status.FAILED
    assert [request.path for request in push_service.pushes()] == ["/push/moved"]
    message.refresh_from_db()
    assert "307" in message.last_error


def test_a_stored_subscription_off_the_push_services_gets_no_post(push_service, settings):
    browser = push_service.new_browser()
    subscribe(browser)
    message = queue_push(to=ANA, idempotency_key="push-moved", title="t", body="b")
    # Stored under a looser rule, or the operator has since narrowed the list.
    settings.WEBPUSH_SERVICE_URLS = ["https://fcm.googleapis.com/"]

    assert send(message).status == Status.FAILED
    message.refresh_from_db()
    assert "WEBPUSH_SERVICE_URLS" in message.last_error
    assert push_service.pushes() == []
    assert PushSubscription.objects.count() == 1


def test_a_malformed_browser_key_is_refused(push_service):
    browser = push_service.new_browser()
    with pytest.raises(ValidationError):
        subscribe_push(address=ANA, endpoint=browser.endpoint, p256dh="abc", auth=browser.auth)


def test_unsubscribing_forgets_the_browser_and_stops_the_queued_notice(push_service):
    browser = push_service.new_browser()
    subscribe(browser)
    message = queue_push(to=ANA, idempotency_key="push-late", title="t", body="b")

    assert unsubscribe_push(address=ANA, endpoint=browser.endpoint) == 1
    assert send(message).status == Status.FAILED
    assert push_service.pushes() == []


def test_push_meets_quiet_hours_and_the_budget_like_email(push_service, settings):
    settings.MESSAGING_QUIET_HOURS = "21:00-09:00"
    settings.MESSAGING_QUIET_HOURS_CATEGORIES = ["marketing"]
    BudgetRule.objects.create(
        name="1 aviso al día",
        channel=Channel.PUSH,
        categories=["engagement"],
        limit=1,
        period_days=1,
    )
    subscribe(push_service.new_browser())

    # 04:00 UTC is night in Madrid and in Mexico City (the default zone, whichever).
    with time_machine.travel(datetime(2026, 3, 2, 4, 0, tzinfo=UTC), tick=False):
        night = queue_push(
            to=ANA, idempotency_key="m", title="t", body="b", category=Category.MARKETING
        )
        assert send(night).status == Status.QUEUED  # deferred to the end of the night
        first = queue_push(
            to=ANA, idempotency_key="e1", title="t", body="b", category=Category.ENGAGEMENT
        )
        second = queue_push(
            to=ANA, idempotency_key="e2", title="t", body="b", category=Category.ENGAGEMENT
        )
        assert send(first).status == Status.SENT
        assert send(second).status == Status.QUEUED  # over the person's push budget
    assert len(push_service.pushes()) == 1
    second.refresh_from_db()
    assert "1 aviso al día" in second.policy_note


def test_a_reminder_that_would_arrive_late_expires_at_the_push_service(push_service):
    subscribe(push_service.new_browser())
    now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        message = queue_push(
            to=ANA,
            idempotency_key="ttl",
            title="t",
            body="b",
            expires_at=now + timedelta(minutes=10),
            urgency="high",
        )
        send(message)
    [request] = push_service.pushes()
    assert request.headers["TTL"] == "600"
    assert request.headers["Urgency"] == "high"


def test_a_push_retried_later_gets_only_what_is_left_of_its_window(push_service):
    browser = push_service.new_browser()
    subscribe(browser)
    now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        message = queue_push(
            to=ANA,
            idempotency_key="ttl-retry",
            title="t",
            body="b",
            expires_at=now + timedelta(minutes=30),
        )
    push_service.answer(browser, 503)
    with time_machine.travel(now, tick=False):
        assert send(message).status == Status.AWAITING_RETRY
    push_service.answer(browser, 201)
    with time_machine.travel(now + timedelta(minutes=20), tick=False):
        assert send(message).status == Status.SENT
    assert push_service.pushes()[-1].headers["TTL"] == "600"


def test_a_push_whose_window_passed_while_it_waited_is_dropped_saying_so(push_service):
    subscribe(push_service.new_browser())
    now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        message = queue_push(
            to=ANA,
            idempotency_key="ttl-late",
            title="t",
            body="b",
            expires_at=now + timedelta(minutes=10),
        )
    with time_machine.travel(now + timedelta(minutes=10), tick=False):
        assert send(message).status == Status.DROPPED
    assert push_service.pushes() == []
    message.refresh_from_db()
    assert "Su momento pasó" in message.last_error
    assert "no se envía tarde" in message.last_error


def test_erasing_a_person_forgets_their_browsers_and_the_export_shows_no_keys(push_service):
    from courseops.operations.privacy.services import erase_person, export_data

    browser = push_service.new_browser()
    subscribe(browser)

    exported = json.dumps(export_data(ANA), default=str)
    assert "push_subscriptions" in exported
    assert browser.endpoint not in exported
    assert browser.auth not in exported

    erase_person(ANA)
    assert not PushSubscription.objects.exists()


def test_generate_vapid_keys_prints_a_pair_that_signs_pushes(push_service, settings):
    out = io.StringIO()
    call_command("generate_vapid_keys", stdout=out, stderr=io.StringIO())
    lines = dict(line.split("=", 1) for line in out.getvalue().split())
    settings.WEBPUSH_VAPID_PRIVATE_KEY = lines["WEBPUSH_VAPID_PRIVATE_KEY"]
    settings.WEBPUSH_VAPID_PUBLIC_KEY = push_service.vapid_public_key = lines[
        "WEBPUSH_VAPID_PUBLIC_KEY"
    ]
    browser = push_service.new_browser()
    subscribe(browser)

    send(queue_push(to=ANA, idempotency_key="new-keys", title="t", body="b"))

    [request] = push_service.pushes()
    push_service.check_vapid(request.headers["Authorization"])  # signed with the new pair


def test_the_deploy_check_refuses_half_a_key_pair_and_accepts_push_off(settings):
    from courseops.messaging.checks import push_configured

    settings.WEBPUSH_VAPID_PRIVATE_KEY = settings.WEBPUSH_VAPID_PUBLIC_KEY = ""
    assert push_configured(None) == []
    settings.WEBPUSH_VAPID_PUBLIC_KEY = "BPublic"
    assert [message.id for message in push_configured(None)] == ["messaging.E006"]
