"""An interrupted message (its worker died during the provider call) is settled by asking
the provider whether it took it: found -> sent, not found -> sent again once, unknown ->
asked again later, then staff. Vendors are faked at their HTTP boundary."""

import json
import threading
import time
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from werkzeug.wrappers import Response

from courseops.audit.models import AuditEntry
from courseops.core import liveness
from courseops.messaging import services, tasks
from courseops.messaging.models import OutboundMessage, ProviderCall, Status
from courseops.messaging.providers.lookup import POSTMARK_SETTLE
from courseops.messaging.providers.sms import TWILIO_SETTLE
from courseops.messaging.services import queue_email, queue_sms, reconciliation
from courseops.messaging.services.outbox import STUCK_AFTER
from courseops.messaging.services.reconciliation import GIVE_UP_AFTER
from courseops.messaging.services.sending import claim_messages
from tests.core.test_liveness import dead_holder
from tests.messaging.conftest import POSTMARK_TOKEN, TWILIO_MESSAGES_PATH, TWILIO_SID

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)
SEARCH = "/messages/outbound"
PHONE = "+525512345678"


def interrupted(queue, *, called_at=NOW, **kwargs):
    """A row whose worker was killed after stamping its provider call: queued (for later,
    so no task sends it), claimed, its holder dead. The next sweep marks it interrupted."""
    with time_machine.travel(called_at - timedelta(minutes=1), tick=False):
        message = queue(send_at=called_at, **kwargs)
    with time_machine.travel(called_at, tick=False):
        assert claim_messages(message_ids=[message.pk])
    OutboundMessage.objects.filter(pk=message.pk).update(held_by=dead_holder())
    ProviderCall.objects.create(message=message, called_at=called_at)
    return message


def interrupted_email(**kwargs):
    kwargs.setdefault("to", "ana@example.com")
    kwargs.setdefault("idempotency_key", "signin.ana")
    return interrupted(queue_email, subject="Tu enlace de acceso", text="Entra aquí", **kwargs)


def interrupted_sms(**kwargs):
    return interrupted(
        queue_sms, to=PHONE, idempotency_key="sms.ana", body="Tu código: 4812", **kwargs
    )


def sweep(capture, at):
    with time_machine.travel(at, tick=False), capture(execute=True):
        tasks.sweep_outbox.apply()


def searches(server, path=SEARCH):
    return [request for request, _response in server.log if request.path == path]


def postmark_search(outbound_id, *, message_id="7b2e1c9a-0000-4000-8000-000000000001", at=NOW):
    """Postmark's outbound search answer with our email in it. Shape as in ActiveCampaign's
    official postmark-python SDK tests (tests/test_retrieve_messages.py, `mock_response_data`)
    and https://postmarkapp.com/developer/api/messages-api."""
    return {
        "TotalCount": 1,
        "Messages": [
            {
                "Tag": "",
                "MessageID": message_id,
                "MessageStream": "outbound",
                "To": [{"Email": "ana@example.com", "Name": ""}],
                "Cc": [],
                "Bcc": [],
                "Recipients": ["ana@example.com"],
                "ReceivedAt": at.isoformat().replace("+00:00", "Z"),
                "From": "CourseOps <hola@example.com>",
                "Subject": "Tu enlace de acceso",
                "Attachments": [],
                "Status": "Sent",
                "TrackOpens": False,
                "TrackLinks": "None",
                "Metadata": {"outbound_id": str(outbound_id)},
                "Sandboxed": False,
            }
        ],
    }


NOTHING = {"TotalCount": 0, "Messages": []}


# --- Postmark ------------------------------------------------------------------------------


def test_an_email_postmark_says_it_took_is_sent_with_postmarks_id_and_never_resent(
    postmark, django_capture_on_commit_callbacks
):
    message = interrupted_email()
    postmark.expect_request(SEARCH, method="GET").respond_with_json(
        postmark_search(message.pk, at=NOW + timedelta(seconds=1))
    )

    sweep(django_capture_on_commit_callbacks, NOW + timedelta(seconds=5))
    sweep(django_capture_on_commit_callbacks, NOW + timedelta(hours=1))

    (request,) = searches(postmark)
    assert {key: values[0] for key, values in parse_qs(request.query_string.decode()).items()} == {
        "count": "10",
        "offset": "0",
        "recipient": "ana@example.com",
        "metadata_outbound_id": str(message.pk),
    }
    assert request.headers["X-Postmark-Server-Token"] == POSTMARK_TOKEN
    assert request.headers["Accept"] == "application/json"
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert (message.provider, message.provider_message_id) == (
        "postmark",
        "7b2e1c9a-0000-4000-8000-000000000001",
    )
    assert message.sent_at == NOW + timedelta(seconds=1)
    assert "postmark confirma que lo recibió" in message.last_error
    assert message.provider_check_at is None
    assert not [r for r, _ in postmark.log if r.path == "/email"]  # never sent again
    assert AuditEntry.objects.filter(
        object_id=str(message.pk), action="messaging.message.provider_confirmed"
    ).exists()


def test_emails_sent_through_a_broadcast_stream_are_searched_in_that_stream(
    postmark, settings, django_capture_on_commit_callbacks
):
    settings.ANYMAIL = {**settings.ANYMAIL, "POSTMARK_MESSAGE_STREAM": "broadcast"}
    message = interrupted_email()
    postmark.expect_request(SEARCH, method="GET").respond_with_json(
        postmark_search(message.pk, at=NOW + timedelta(seconds=1))
    )

    sweep(django_capture_on_commit_callbacks, NOW + timedelta(seconds=5))

    (request,) = searches(postmark)
    assert parse_qs(request.query_string.decode())["messagestream"] == ["broadcast"]
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_a_copy_postmark_took_before_this_attempt_does_not_count(
    postmark, django_capture_on_commit_callbacks
):
    # Staff resent an earlier interrupted attempt; this attempt's stamp is an hour later.
    message = interrupted_email()
    postmark.expect_request(SEARCH, method="GET").respond_with_json(
        postmark_search(message.pk, at=NOW - timedelta(hours=1))
    )

    sweep(django_capture_on_commit_callbacks, NOW + timedelta(seconds=5))

    message.refresh_from_db()
    assert message.status == Status.INTERRUPTED  # not found, but too soon to believe it
    assert message.provider_check_at == NOW + POSTMARK_SETTLE


def test_an_email_postmark_never_got_is_sent_again_once_after_the_settle_time(
    postmark_accepts, postmark, django_capture_on_commit_callbacks
):
    message = interrupted_email()
    postmark.expect_request(SEARCH, method="GET").respond_with_json(NOTHING)

    # Right away Postmark's "not found" may be an email not yet searchable: it waits.
    sweep(django_capture_on_commit_callbacks, NOW + timedelta(seconds=5))
    message.refresh_from_db()
    assert message.status == Status.INTERRUPTED
    assert postmark_accepts == []

    sweep(django_capture_on_commit_callbacks, NOW + POSTMARK_SETTLE - timedelta(seconds=1))
    assert len(searches(postmark)) == 1  # not due yet: not asked

    sweep(django_capture_on_commit_callbacks, NOW + POSTMARK_SETTLE + timedelta(seconds=1))
    sweep(django_capture_on_commit_callbacks, NOW + timedelta(hours=2))

    assert len(searches(postmark)) == 2
    assert [email["To"] for email in postmark_accepts] == ["ana@example.com"]
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 1  # the interrupted claim was no attempt
    entry = AuditEntry.objects.get(
        object_id=str(message.pk), action="messaging.message.provider_not_received"
    )
    assert entry.data == {"provider": "postmark"}


def test_the_true_reason_is_on_the_row_when_it_goes_back_to_the_queue(postmark):
    message = interrupted_email()
    postmark.expect_request(SEARCH, method="GET").respond_with_json(NOTHING)
    later = NOW + POSTMARK_SETTLE + timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        services.interrupt_stuck_messages()
        outcomes = services.reconcile_interrupted_messages()

    assert outcomes["requeued"] == 1
    message.refresh_from_db()
    assert message.status == Status.QUEUED
    assert message.last_error == "El proveedor confirma que no lo recibió: se envía de nuevo."
    assert (message.held_by, message.claimed_at, message.dispatched_at) == ("", None, None)
    assert message.next_attempt_at == later
    assert message.attempts == 0


def test_an_email_past_its_deadline_is_dropped_not_resent_when_postmark_never_got_it(
    postmark_accepts, postmark, django_capture_on_commit_callbacks
):
    message = interrupted_email(expires_at=NOW + timedelta(minutes=1))
    postmark.expect_request(SEARCH, method="GET").respond_with_json(NOTHING)

    sweep(django_capture_on_commit_callbacks, NOW + POSTMARK_SETTLE + timedelta(seconds=1))

    message.refresh_from_db()
    assert message.status == Status.DROPPED
    assert message.last_error.startswith("El proveedor confirma que no lo recibió. Su momento pasó")
    assert postmark_accepts == []


def test_while_postmark_cannot_answer_the_row_waits_and_is_asked_again_less_and_less(
    postmark, django_capture_on_commit_callbacks
):
    message = interrupted_email()
    postmark.expect_request(SEARCH, method="GET").respond_with_json(
        {"ErrorCode": 500, "Message": "Internal server error"}, status=500
    )

    sweep(django_capture_on_commit_callbacks, NOW + timedelta(seconds=5))
    message.refresh_from_db()
    assert message.status == Status.INTERRUPTED
    assert "postmark no ha podido confirmarlo (Postmark respondió 500" in message.last_error
    assert message.provider_check_at == NOW + timedelta(minutes=1, seconds=5)

    sweep(django_capture_on_commit_callbacks, NOW + timedelta(seconds=50))
    assert len(searches(postmark)) == 1  # not asked before its time

    sweep(django_capture_on_commit_callbacks, NOW + timedelta(minutes=1, seconds=5))
    message.refresh_from_db()
    assert len(searches(postmark)) == 2
    # Asked again after as long as the call is old: the wait doubles.
    assert message.provider_check_at == NOW + timedelta(minutes=2, seconds=10)

    postmark.clear()  # Postmark is back, and has it
    postmark.expect_request(SEARCH, method="GET").respond_with_json(postmark_search(message.pk))
    sweep(django_capture_on_commit_callbacks, NOW + timedelta(minutes=2, seconds=10))
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_a_postmark_search_that_times_out_is_an_unknown_answer(
    settings, postmark, django_capture_on_commit_callbacks
):
    settings.ANYMAIL = {**settings.ANYMAIL, "REQUESTS_TIMEOUT": 0.3}
    message = interrupted_email()

    def slow(request):
        time.sleep(1)
        return Response(json.dumps(NOTHING), content_type="application/json")

    postmark.expect_request(SEARCH, method="GET").respond_with_handler(slow)

    sweep(django_capture_on_commit_callbacks, NOW + POSTMARK_SETTLE + timedelta(seconds=1))

    message.refresh_from_db()
    assert message.status == Status.INTERRUPTED
    assert "ReadTimeout" in message.last_error
    assert message.provider_check_at > NOW + POSTMARK_SETTLE + timedelta(seconds=1)
    deadline = time.monotonic() + 5
    while not postmark.log and time.monotonic() < deadline:  # the late answer, logged
        time.sleep(0.05)  # here rather than in the next test's log


def test_after_hours_without_an_answer_staff_decide_and_the_provider_is_no_longer_asked(
    postmark, django_capture_on_commit_callbacks
):
    message = interrupted_email()
    postmark.expect_request(SEARCH, method="GET").respond_with_json({}, status=503)
    sweep(django_capture_on_commit_callbacks, NOW + timedelta(seconds=5))
    OutboundMessage.objects.filter(pk=message.pk).update(provider_check_at=NOW + GIVE_UP_AFTER)

    sweep(django_capture_on_commit_callbacks, NOW + GIVE_UP_AFTER)
    sweep(django_capture_on_commit_callbacks, NOW + GIVE_UP_AFTER + timedelta(days=1))

    assert len(searches(postmark)) == 2
    message.refresh_from_db()
    assert message.status == Status.INTERRUPTED
    assert message.provider_check_at is None
    assert "no lo ha confirmado en 6 horas" in message.last_error
    assert message.last_error.endswith("Revise antes de reenviar.")


def test_a_provider_that_cannot_be_asked_leaves_the_row_to_staff_at_once(
    settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    message = interrupted_email()

    sweep(django_capture_on_commit_callbacks, NOW + timedelta(seconds=5))

    message.refresh_from_db()
    assert message.status == Status.INTERRUPTED
    assert message.provider_check_at is None
    assert "no se puede preguntar a locmem si lo recibió" in message.last_error


def test_staff_see_what_the_provider_said_on_the_outbox_list(
    postmark, django_capture_on_commit_callbacks, client, staff_user
):
    message = interrupted_email()
    postmark.expect_request(SEARCH, method="GET").respond_with_json(postmark_search(message.pk))
    sweep(django_capture_on_commit_callbacks, NOW + timedelta(seconds=5))

    client.force_login(staff_user)
    listing = client.get(reverse("admin:messaging_outboundmessage_changelist"))
    detail = client.get(reverse("admin:messaging_outboundmessage_change", args=[message.pk]))

    assert "postmark confirma que lo recibió" in listing.content.decode()
    assert "próxima consulta al proveedor" in detail.content.decode().lower()


def test_a_row_stuck_past_any_send_is_asked_about_only_if_it_was_stamped(
    postmark, django_capture_on_commit_callbacks
):
    # Their holder is alive but hung: only `STUCK_AFTER` takes them over.
    stamped = interrupted_email()
    unstamped = interrupted_email(to="bea@example.com", idempotency_key="signin.bea")
    OutboundMessage.objects.update(held_by=liveness.me())
    ProviderCall.objects.filter(message=unstamped).delete()
    postmark.expect_request(SEARCH, method="GET").respond_with_json(postmark_search(stamped.pk))

    sweep(django_capture_on_commit_callbacks, NOW + STUCK_AFTER + timedelta(seconds=1))

    stamped.refresh_from_db()
    unstamped.refresh_from_db()
    assert stamped.status == Status.SENT
    assert (unstamped.status, unstamped.provider_check_at) == (Status.INTERRUPTED, None)
    (request,) = searches(postmark)
    assert parse_qs(request.query_string.decode())["recipient"] == ["ana@example.com"]


def test_with_nothing_to_settle_the_step_is_one_query(django_assert_num_queries):
    interrupted_email()  # still sending (its holder not yet seen gone): nothing to ask

    with django_assert_num_queries(1):
        assert services.reconcile_interrupted_messages() == {}


# --- Twilio --------------------------------------------------------------------------------


def twilio_list(*messages):
    """Twilio's Message list page, as in twilio-python's own tests
    (tests/integration/api/v2010/account/test_message.py, `test_read_full_response`)."""
    path = f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    return {
        "end": max(len(messages) - 1, 0),
        "first_page_uri": f"{path}?To=%2B525512345678&PageSize=20&Page=0",
        "messages": list(messages),
        "next_page_uri": None,
        "page": 0,
        "page_size": 20,
        "previous_page_uri": None,
        "start": 0,
        "uri": f"{path}?To=%2B525512345678&PageSize=20&Page=0",
    }


def twilio_sent(sid, body, created):
    stamp = created.strftime("%a, %d %b %Y %H:%M:%S +0000")
    return {
        "account_sid": TWILIO_SID,
        "api_version": "2010-04-01",
        "body": body,
        "date_created": stamp,
        "date_sent": stamp,
        "date_updated": stamp,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": "+15005550006",
        "messaging_service_sid": None,
        "num_media": "0",
        "num_segments": "1",
        "price": "-0.00750",
        "price_unit": "USD",
        "sid": sid,
        "status": "sent",
        "subresource_uris": {},
        "to": PHONE,
        "uri": f"/2010-04-01/Accounts/{TWILIO_SID}/Messages/{sid}.json",
    }


def test_an_sms_twilio_took_is_sent_with_its_sid(twilio, django_capture_on_commit_callbacks):
    message = interrupted_sms()
    twilio.expect_request(TWILIO_MESSAGES_PATH, method="GET").respond_with_json(
        twilio_list(
            twilio_sent("SMother", "Tu clase empieza", NOW + timedelta(seconds=1)),
            twilio_sent("SMours", "Tu código: 4812", NOW + timedelta(seconds=1)),
        )
    )

    sweep(django_capture_on_commit_callbacks, NOW + timedelta(seconds=5))

    (request,) = searches(twilio, TWILIO_MESSAGES_PATH)
    query = {key: values[0] for key, values in parse_qs(request.query_string.decode()).items()}
    assert query == {
        "To": PHONE,
        "DateSent>": (NOW - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "PageSize": "20",
    }
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert (message.provider, message.provider_message_id) == ("twilio", "SMours")
    assert not [r for r, _ in twilio.log if r.method == "POST"]


def test_an_sms_twilio_never_got_is_sent_again_once_after_the_settle_time(
    twilio, django_capture_on_commit_callbacks
):
    message = interrupted_sms()
    twilio.expect_request(TWILIO_MESSAGES_PATH, method="GET").respond_with_json(twilio_list())
    twilio.expect_request(TWILIO_MESSAGES_PATH, method="POST").respond_with_json(
        twilio_sent("SMnew", "Tu código: 4812", NOW), status=201
    )

    sweep(django_capture_on_commit_callbacks, NOW + timedelta(seconds=5))
    message.refresh_from_db()
    assert message.status == Status.INTERRUPTED  # too soon to believe Twilio's list

    sweep(django_capture_on_commit_callbacks, NOW + TWILIO_SETTLE + timedelta(seconds=1))
    sweep(django_capture_on_commit_callbacks, NOW + timedelta(hours=1))

    posts = [request for request, _response in twilio.log if request.method == "POST"]
    assert len(posts) == 1
    assert parse_qs(posts[0].get_data(as_text=True))["Body"] == ["Tu código: 4812"]
    message.refresh_from_db()
    assert (message.status, message.provider_message_id) == (Status.SENT, "SMnew")


def test_another_text_to_the_number_since_the_call_leaves_it_unknown(
    twilio, django_capture_on_commit_callbacks
):
    # Perhaps ours with characters Twilio swapped on the way: never "not found".
    message = interrupted_sms()
    twilio.expect_request(TWILIO_MESSAGES_PATH, method="GET").respond_with_json(
        twilio_list(twilio_sent("SMx", "Tu codigo: 4812", NOW + timedelta(seconds=1)))
    )

    sweep(django_capture_on_commit_callbacks, NOW + TWILIO_SETTLE + timedelta(seconds=1))

    message.refresh_from_db()
    assert message.status == Status.INTERRUPTED
    assert "Twilio envió otro SMS a ese número" in message.last_error
    assert message.provider_check_at is not None  # asked again later


# --- An email backend that answers for itself: the chaos harness's provider ----------------


@pytest.fixture
def counting_backend(settings, tmp_path, monkeypatch):
    settings.EMAIL_BACKEND = "bench.chaos.CountingBackend"
    log = tmp_path / "sent.log"
    monkeypatch.setenv("CHAOS_SENT_LOG", str(log))
    return log


def test_the_chaos_providers_log_says_it_was_sent_so_it_is_not_sent_again(
    counting_backend, django_capture_on_commit_callbacks
):
    message = interrupted_email()
    # The provider got it just before the worker was killed.
    counting_backend.write_text(f"{message.pk} ana@example.com {NOW.timestamp() + 0.2:.3f}\n")

    sweep(django_capture_on_commit_callbacks, NOW + timedelta(seconds=5))

    message.refresh_from_db()
    assert (message.status, message.provider) == (Status.SENT, "chaos")
    assert len(counting_backend.read_text().splitlines()) == 1


def test_an_email_missing_from_the_chaos_providers_log_is_sent_at_the_same_sweep(
    counting_backend, django_capture_on_commit_callbacks
):
    message = interrupted_email()

    sweep(django_capture_on_commit_callbacks, NOW + timedelta(seconds=5))
    sweep(django_capture_on_commit_callbacks, NOW + timedelta(minutes=5))

    message.refresh_from_db()
    assert message.status == Status.SENT
    (line,) = counting_backend.read_text().splitlines()
    assert line.split()[:2] == [str(message.pk), "ana@example.com"]


# --- Two sweepers at once ------------------------------------------------------------------


class _BothReadTheDueRowsFirst:
    """Stands in for the reconciliation module's `time`: its first clock reading in each
    thread, taken right after the due rows were read, waits until the other sweeper has
    read them too, so both try to claim the same row."""

    def __init__(self):
        self.barrier = threading.Barrier(2)
        self.seen = threading.local()

    def monotonic(self):
        if not getattr(self.seen, "waited", False):
            self.seen.waited = True
            self.barrier.wait(10)
        return time.monotonic()


@pytest.mark.django_db(transaction=True)
def test_two_sweepers_reconciling_at_once_ask_once_and_resend_once(
    postmark_accepts, postmark, monkeypatch
):
    message = interrupted_email()
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=Status.INTERRUPTED, provider_called_at=NOW, provider_check_at=NOW
    )
    ProviderCall.objects.all().delete()

    def slow_nothing(request):
        time.sleep(0.3)  # the other sweeper would ask meanwhile, were the row not claimed
        return Response(json.dumps(NOTHING), content_type="application/json")

    postmark.expect_request(SEARCH, method="GET").respond_with_handler(slow_nothing)
    monkeypatch.setattr(reconciliation, "time", _BothReadTheDueRowsFirst())
    outcomes = {}

    def sweeper(name):
        try:
            outcomes[name] = reconciliation.reconcile_interrupted_messages(
                now=NOW + POSTMARK_SETTLE + timedelta(seconds=1)
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=sweeper, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert outcomes["a"]["requeued"] + outcomes["b"]["requeued"] == 1
    assert len(searches(postmark)) == 1
    monkeypatch.setattr(reconciliation, "time", time)
    with time_machine.travel(NOW + POSTMARK_SETTLE + timedelta(seconds=2), tick=False):
        tasks.sweep_outbox.apply()
        tasks.sweep_outbox.apply()
    assert len(postmark_accepts) == 1


def test_with_a_failover_provider_that_cannot_be_asked_postmarks_not_found_is_not_enough(
    settings, postmark_accepts, postmark, django_capture_on_commit_callbacks
):
    # The email may have gone to the secondary (the primary refused it): staff decide.
    settings.EMAIL_FAILOVER_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    message = interrupted_email()
    postmark.expect_request(SEARCH, method="GET").respond_with_json(NOTHING)

    sweep(django_capture_on_commit_callbacks, NOW + POSTMARK_SETTLE + timedelta(seconds=1))

    message.refresh_from_db()
    assert message.status == Status.INTERRUPTED
    assert message.provider_check_at is None
    assert "no se puede preguntar a locmem" in message.last_error
    assert postmark_accepts == []
