"""The sweeper's batches: claimed by one statement, checked and recorded together."""

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courseops.core import liveness
from courseops.messaging import hooks, services, tasks
from courseops.messaging.models import (
    Category,
    OutboundMessage,
    ProviderCall,
    Status,
    SuppressionReason,
)
from courseops.messaging.services import queue_email, suppress
from courseops.messaging.services.sending import claim_messages

pytestmark = pytest.mark.django_db


def _queued(count, *, prefix="k", category=Category.TRANSACTIONAL):
    return [
        queue_email(
            to=f"{prefix}{number}@example.com",
            idempotency_key=f"{prefix}{number}",
            subject="Tu clase",
            text="Te esperamos.",
            category=category,
        ).pk
        for number in range(count)
    ]


def _deliver(ids):
    return services.deliver_messages(
        message_ids=ids, max_attempts=tasks.MAX_ATTEMPTS, retry_delay=tasks.retry_delay
    )


def _queries_to_send(count, prefix):
    ids = _queued(count, prefix=prefix)
    with CaptureQueriesContext(connection) as queries:
        _deliver(ids)

    assert set(OutboundMessage.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        Status.SENT
    }
    # Inside the test's transaction the claim also writes the heartbeat (in a worker,
    # which runs in autocommit, the heartbeat thread does): not the batch's own work.
    return sum(
        1
        for query in queries.captured_queries
        if "core_holder" not in query["sql"] and "SAVEPOINT" not in query["sql"]
    )


def test_a_batch_costs_a_fixed_number_of_queries_plus_one_stamp_per_message(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    _queries_to_send(1, "warm")  # the content type and the heartbeat are cached after it

    five, twenty = _queries_to_send(5, "a"), _queries_to_send(20, "b")

    # Claim, suppression list, budget rules, the result UPDATE and deleting the batch's
    # stamps are one query each for the batch; what grows is the "provider called" stamp,
    # one insert per message.
    assert twenty - five == 15
    assert five <= 5 + 5


def test_a_batch_claimed_by_one_worker_is_not_claimed_by_another():
    ids = _queued(3)

    first = claim_messages(message_ids=ids)
    second = claim_messages(message_ids=ids)

    assert sorted(message.pk for message in first) == sorted(ids)
    assert second == []
    rows = OutboundMessage.objects.filter(pk__in=ids)
    assert {(row.status, row.held_by, row.attempts) for row in rows} == {
        (Status.SENDING, liveness.me(), 1)
    }


def test_a_claim_skips_rows_not_yet_due_or_already_gone():
    later = queue_email(
        to="later@example.com",
        idempotency_key="later",
        subject="x",
        text="x",
        send_at=timezone.now() + timedelta(hours=1),
    )
    (sent,) = _queued(1, prefix="sent")
    OutboundMessage.objects.filter(pk=sent).update(status=Status.SENT)
    (due,) = _queued(1, prefix="due")

    assert [message.pk for message in claim_messages(message_ids=[later.pk, sent, due])] == [due]


def test_each_message_of_a_batch_gets_its_own_outcome_and_provider_id(postmark_accepts):
    sent = _queued(2, prefix="ok")
    (bounced,) = _queued(1, prefix="bounced")
    (unsubscribed_receipt,) = _queued(1, prefix="unsub")
    (unsubscribed_news,) = _queued(1, prefix="news", category=Category.MARKETING)
    suppress(channel="email", address="bounced0@example.com", reason=SuppressionReason.BOUNCED)
    for address in ("unsub0@example.com", "news0@example.com"):
        suppress(channel="email", address=address, reason=SuppressionReason.UNSUBSCRIBED)

    deliveries = _deliver([*sent, bounced, unsubscribed_receipt, unsubscribed_news])

    rows = {row.pk: row for row in OutboundMessage.objects.all()}
    assert {deliveries[pk].status for pk in sent} == {Status.SENT}
    # An unsubscribe stops marketing only; a bounce stops everything.
    assert rows[unsubscribed_receipt].status == Status.SENT
    assert rows[bounced].status == Status.SUPPRESSED
    assert rows[unsubscribed_news].status == Status.SUPPRESSED
    assert sorted(p["To"] for p in postmark_accepts) == [
        "ok0@example.com",
        "ok1@example.com",
        "unsub0@example.com",
    ]
    provider_ids = {rows[pk].provider_message_id for pk in [*sent, unsubscribed_receipt]}
    assert provider_ids == {"pm-1", "pm-2", "pm-3"}
    assert all(rows[pk].provider_called_at for pk in sent)
    assert not ProviderCall.objects.exists()  # recorded with the outcomes: none in flight
    # Transactional mail is never counted in a budget, and suppressed mail did not go out.
    assert rows[unsubscribed_receipt].budget_at is None
    assert rows[unsubscribed_news].budget_at is None


def test_marketing_mail_sent_in_a_batch_is_counted_in_the_persons_budget(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    ids = _queued(2, prefix="mkt", category=Category.MARKETING)

    _deliver(ids)

    assert all(OutboundMessage.objects.filter(pk__in=ids).values_list("budget_at", flat=True))


def test_a_batch_stopped_by_an_error_records_what_it_sent_and_requeues_the_rest(
    settings, monkeypatch
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ids = _queued(3)
    checked = []

    def database_gone_on_the_second(message):
        checked.append(message.pk)
        if len(checked) == 2:
            raise DatabaseError("connection lost")
        return ""

    monkeypatch.setattr(hooks, "_SEND_CHECKS", [database_gone_on_the_second])

    with pytest.raises(DatabaseError):
        _deliver(ids)

    rows = {row.pk: row for row in OutboundMessage.objects.all()}
    first, *rest = checked[0], *[pk for pk in ids if pk != checked[0]]
    assert rows[first].status == Status.SENT
    assert {(rows[pk].status, rows[pk].attempts, rows[pk].held_by) for pk in rest} == {
        (Status.QUEUED, 0, "")
    }
    from django.core import mail

    assert len(mail.outbox) == 1
