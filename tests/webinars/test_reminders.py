from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courseops.messaging.models import Channel, OutboundMessage, Status
from courseops.reviews.models import Draft
from courseops.reviews.services import approve_draft
from tests.webinars.conftest import START
from webinars.models import Registration, ReminderDelivery
from webinars.services import (
    deliver_reminders,
    registration_create,
    scan_due_reminders,
    webinar_reschedule,
)
from webinars.services.attendance import join_url

pytestmark = pytest.mark.django_db
BEFORE = START - timedelta(days=20)


@pytest.fixture
def webinar(make_webinar, at):
    return at(BEFORE, make_webinar)


@pytest.fixture
def lead(webinar, at):
    return at(
        BEFORE,
        registration_create,
        webinar=webinar,
        email="lead@example.com",
        name="Mario Ruiz",
        phone="+525511112222",
        time_zone="America/Mexico_City",
        sms_consent=True,
        consent_text="Acepto recibir SMS sobre este webinar.",
        source=Registration.Source.PAGE,
    )


def reminders(channel=None):
    rows = OutboundMessage.objects.filter(idempotency_key__startswith="webinars.reminder.")
    if channel:
        rows = rows.filter(channel=channel)
    return list(rows.order_by("pk"))


def approve_7d(webinar, user, at):
    draft = Draft.objects.get(kind="webinar_reminder")
    at(BEFORE, approve_draft, draft=draft, user=user)
    return draft


def test_each_reminder_goes_out_once_at_its_local_time_even_when_the_scan_runs_twice(
    webinar, lead, staff_user, at
):
    approve_7d(webinar, staff_user, at)
    for offset in (timedelta(days=7), timedelta(days=1), timedelta(hours=2)):
        at(START - offset, scan_due_reminders)
        at(START - offset + timedelta(seconds=30), scan_due_reminders)
    at(START - timedelta(minutes=9), scan_due_reminders)
    at(START - timedelta(minutes=8), scan_due_reminders)

    emails, sms = reminders(Channel.EMAIL), reminders(Channel.SMS)
    assert len(emails) == 4
    assert len(sms) == 2
    seven_days = emails[0]
    assert seven_days.subject.startswith("Mario, en una semana")  # the AI text, merged
    assert "Hola Mario" in seven_days.html_body
    assert "10 de diciembre de 2026 a las 11:00" in seven_days.text_body  # Mexico City
    tracked = join_url(Registration.objects.get(pk=lead.pk))  # counts the click, then Jitsi
    assert tracked not in emails[1].text_body
    assert tracked in emails[3].text_body  # the 10-minute one has the link
    assert tracked in sms[1].text_body
    # No browser of theirs subscribed in the portal: nothing for the push channel.
    assert reminders(Channel.PUSH) == []
    assert ReminderDelivery.objects.count() == 4


def test_the_7_day_reminder_waits_for_approval_and_is_dropped_once_the_1_day_one_is_due(
    webinar, lead, at
):
    at(START - timedelta(days=7), scan_due_reminders)
    assert reminders() == []

    at(START - timedelta(days=1), scan_due_reminders)

    assert [m.channel for m in reminders()] == [Channel.EMAIL, Channel.SMS]
    assert "Recordatorio" in reminders()[0].subject


def test_approving_the_7_day_text_late_still_sends_it_before_the_1_day_reminder(
    webinar, lead, staff_user, at
):
    at(START - timedelta(days=7), scan_due_reminders)
    approve_7d(webinar, staff_user, at)

    at(START - timedelta(days=3), scan_due_reminders)

    [message] = reminders()
    assert message.subject.startswith("Mario, en una semana")


def test_a_registration_after_a_reminder_time_gets_only_the_reminders_ahead(webinar, at):
    at(
        START - timedelta(hours=20),
        registration_create,
        webinar=webinar,
        email="tarde@example.com",
        source=Registration.Source.API,
    )

    at(START - timedelta(hours=19), scan_due_reminders)
    at(START - timedelta(hours=2), scan_due_reminders)

    [message] = reminders()
    assert message.idempotency_key.startswith("webinars.reminder.")
    assert ReminderDelivery.objects.get().reminder.offset == timedelta(hours=2)


def test_rescheduling_moves_pending_reminders_and_never_resends_sent_ones(webinar, lead, at):
    at(START - timedelta(days=1), scan_due_reminders)
    new_start = START + timedelta(days=3)
    at(START - timedelta(hours=20), webinar_reschedule, webinar=webinar, starts_at=new_start)

    at(START - timedelta(hours=2), scan_due_reminders)  # the old time: nothing
    assert len(reminders()) == 2
    at(new_start - timedelta(days=1), scan_due_reminders)  # already sent: not again
    assert len(reminders()) == 2
    at(new_start - timedelta(hours=2), scan_due_reminders)

    assert len(reminders(Channel.EMAIL)) == 2


def test_an_sms_due_in_quiet_hours_waits_for_morning_or_is_skipped_if_too_late(make_webinar, at):
    # 23:00 in Mexico City: the 1-day SMS falls at 23:00 too, the 10-minute one at 22:50.
    late = datetime(2026, 12, 10, 5, 0, tzinfo=UTC)
    webinar = at(BEFORE, make_webinar, starts_at=late)
    at(
        BEFORE,
        registration_create,
        webinar=webinar,
        email="noche@example.com",
        phone="+525511113333",
        time_zone="America/Mexico_City",
        sms_consent=True,
        consent_text="Acepto SMS.",
        source=Registration.Source.PAGE,
    )

    at(late - timedelta(days=1), scan_due_reminders)
    at(late - timedelta(minutes=10), scan_due_reminders)

    [sms] = reminders(Channel.SMS)
    assert sms.send_at == datetime(2026, 12, 9, 14, 0, tzinfo=UTC)  # 08:00 in Mexico City
    assert sms.status == Status.QUEUED
    assert len(reminders(Channel.EMAIL)) == 2
    skipped = ReminderDelivery.objects.get(reminder__offset=timedelta(minutes=10))
    assert skipped.detail["sms"] == "quiet hours until after the webinar"


def test_no_sms_without_consent_or_phone(webinar, at):
    at(
        BEFORE,
        registration_create,
        webinar=webinar,
        email="sin@example.com",
        phone="+525511114444",
        sms_consent=False,
        source=Registration.Source.PAGE,
    )

    at(START - timedelta(days=1), scan_due_reminders)

    assert [m.channel for m in reminders()] == [Channel.EMAIL]


def test_a_chunk_lost_with_its_worker_is_handed_out_again_once_and_only_once(
    webinar, lead, at, django_capture_on_commit_callbacks
):
    due = START - timedelta(days=1)
    # The scan commits its claims but the chunk's task never runs (worker killed).
    with time_machine.travel(due, tick=False), django_capture_on_commit_callbacks(execute=False):
        assert scan_due_reminders() == 1
    assert reminders() == []

    at(due + timedelta(seconds=30), scan_due_reminders)  # still leased to the lost task
    assert reminders() == []
    at(due + timedelta(minutes=4), scan_due_reminders)
    delivery_ids = list(ReminderDelivery.objects.values_list("pk", flat=True))
    at(due + timedelta(minutes=5), deliver_reminders, delivery_ids=delivery_ids)  # a replay

    assert [m.channel for m in reminders()] == [Channel.EMAIL, Channel.SMS]
    assert ReminderDelivery.objects.get().status == ReminderDelivery.Status.QUEUED


def test_a_delivery_run_twice_queues_each_message_once(webinar, lead, at):
    due = START - timedelta(days=1)
    at(due, scan_due_reminders)
    delivery = ReminderDelivery.objects.get()
    ReminderDelivery.objects.filter(pk=delivery.pk).update(status="claimed")  # crash replay

    at(due, deliver_reminders, delivery_ids=[delivery.pk])

    assert len(reminders()) == 2


def _populate(make_webinar, at, webinars, per_webinar):
    for index in range(webinars):
        webinar = at(BEFORE, make_webinar, title=f"W{index}")
        for number in range(per_webinar):
            at(
                BEFORE,
                registration_create,
                webinar=webinar,
                email=f"p{index}-{number}@example.com",
                source=Registration.Source.API,
            )


def _scan_queries(django_capture_on_commit_callbacks):
    with (
        time_machine.travel(START - timedelta(days=1), tick=False),
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        CaptureQueriesContext(connection) as queries,
    ):
        claimed = scan_due_reminders()
    return len(queries), claimed, len(callbacks)


def test_the_scan_runs_the_same_number_of_queries_for_few_and_many_registrations(
    make_webinar, at, django_capture_on_commit_callbacks
):
    _populate(make_webinar, at, webinars=1, per_webinar=2)
    small, claimed_small, _ = _scan_queries(django_capture_on_commit_callbacks)
    ReminderDelivery.objects.all().delete()
    _populate(make_webinar, at, webinars=4, per_webinar=8)
    large, claimed_large, _ = _scan_queries(django_capture_on_commit_callbacks)

    assert (claimed_small, claimed_large) == (2, 2 + 32)
    assert small == large


def test_a_claimed_reminder_is_not_sent_if_the_webinar_was_cancelled_meanwhile(
    webinar, lead, at, django_capture_on_commit_callbacks
):
    from webinars.services import webinar_cancel

    due = START - timedelta(days=1)
    with time_machine.travel(due, tick=False), django_capture_on_commit_callbacks(execute=False):
        scan_due_reminders()
    at(due, webinar_cancel, webinar=webinar)

    at(due, deliver_reminders, delivery_ids=[ReminderDelivery.objects.get().pk])

    assert reminders() == []
    assert ReminderDelivery.objects.get().status == ReminderDelivery.Status.SKIPPED


def test_staff_may_choose_to_resend_reminders_when_rescheduling(webinar, lead, at):
    at(START - timedelta(days=1), scan_due_reminders)
    new_start = START + timedelta(days=3)
    at(
        START - timedelta(hours=20),
        webinar_reschedule,
        webinar=webinar,
        starts_at=new_start,
        resend_reminders=True,
    )

    at(new_start - timedelta(days=1), scan_due_reminders)

    assert len(reminders(Channel.EMAIL)) == 2
    assert reminders(Channel.EMAIL)[1].idempotency_key.endswith(".1.email")  # sequence 1


def test_a_quiet_hours_sms_with_the_old_time_is_withdrawn_on_reschedule(make_webinar, at):
    late = datetime(2026, 12, 10, 5, 0, tzinfo=UTC)  # 23:00 in Mexico City
    webinar = at(BEFORE, make_webinar, starts_at=late)
    at(
        BEFORE,
        registration_create,
        webinar=webinar,
        email="noche@example.com",
        phone="+525511113333",
        time_zone="America/Mexico_City",
        sms_consent=True,
        consent_text="Acepto SMS.",
        source=Registration.Source.PAGE,
    )
    at(late - timedelta(days=1), scan_due_reminders)
    [waiting] = reminders(Channel.SMS)
    new_start = late + timedelta(days=2, hours=14)  # 12 December, 13:00 local

    moved_at = late - timedelta(hours=23)
    at(moved_at, webinar_reschedule, webinar=webinar, starts_at=new_start)
    at(new_start - timedelta(days=1), scan_due_reminders)  # the 1-day one went already
    at(new_start - timedelta(minutes=10), scan_due_reminders)

    waiting.refresh_from_db()
    assert waiting.status == Status.CANCELED
    old, final = reminders(Channel.SMS)
    assert old.pk == waiting.pk
    assert final.send_at is None  # 12:50 local: not quiet
    assert "12 de diciembre de 2026 a las 13:00" in final.text_body
    assert len(reminders(Channel.EMAIL)) == 2


def test_english_registrants_read_the_date_in_english_in_their_time_zone(webinar, at):
    at(
        BEFORE,
        registration_create,
        webinar=webinar,
        email="john@example.com",
        name="John Smith",
        time_zone="America/New_York",
        language="en",
        source=Registration.Source.API,
    )

    at(START - timedelta(days=1), scan_due_reminders)

    [message] = reminders()
    assert "Dec. 10, 2026, noon" in message.text_body  # 12:00 in New York
    assert message.language == "en"


def test_one_ai_draft_per_webinar_however_often_it_is_asked_for(webinar, at):
    from webinars.services import reminder_text_draft

    at(BEFORE, reminder_text_draft, webinar=webinar)
    at(BEFORE, reminder_text_draft, webinar=webinar)

    draft = Draft.objects.get(kind="webinar_reminder")
    assert draft.target == webinar.reminders.get(uses_ai_text=True)
    assert "{nombre}" in draft.body


def test_a_name_typed_in_the_public_form_is_escaped_in_the_ai_text(webinar, staff_user, at):
    approve_7d(webinar, staff_user, at)
    at(
        BEFORE,
        registration_create,
        webinar=webinar,
        email="x@example.com",
        name="<img src=x onerror=alert(1)>",
        source=Registration.Source.PAGE,
    )

    at(START - timedelta(days=7), scan_due_reminders)

    [message] = reminders()
    assert "<img" not in message.html_body
    assert "&lt;img" in message.html_body


def test_webinar_sms_quiet_hours_are_their_own_setting_not_the_outbox_default(settings):
    from types import SimpleNamespace

    from webinars.services.reminders import sms_send_at

    settings.MESSAGING_QUIET_HOURS = "21:00-09:00"
    settings.WEBINAR_SMS_QUIET_HOURS = "22:00-07:30"
    person = SimpleNamespace(time_zone="America/Mexico_City")
    at_2130 = datetime(2026, 12, 2, 3, 30, tzinfo=UTC)  # 21:30 in Mexico City
    at_2300 = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)
    webinar = SimpleNamespace(ends_at=datetime(2026, 12, 20, tzinfo=UTC))

    assert sms_send_at(now=at_2130, registration=person, webinar=webinar) is None
    assert sms_send_at(now=at_2300, registration=person, webinar=webinar) == datetime(
        2026, 12, 2, 13, 30, tzinfo=UTC
    )
    settings.WEBINAR_SMS_QUIET_HOURS = ""
    assert sms_send_at(now=at_2300, registration=person, webinar=webinar) is None


def test_the_ai_reminder_text_of_a_webinar_that_moved_is_withdrawn_not_approved(
    webinar, staff_user, at
):
    from courseops.reviews.models import DraftStatus
    from courseops.reviews.services import DraftWithdrawn
    from webinars.services import reminder_text_draft
    from webinars.services.webinars import webinar_reschedule

    at(BEFORE, reminder_text_draft, webinar=webinar)
    draft = Draft.objects.get(kind="webinar_reminder", data__language=webinar.language)
    at(BEFORE, webinar_reschedule, webinar=webinar, starts_at=START + timedelta(days=2))

    with pytest.raises(DraftWithdrawn, match="cambió de fecha"):
        at(BEFORE, approve_draft, draft=draft, user=staff_user)

    draft.refresh_from_db()
    assert draft.status == DraftStatus.WITHDRAWN
    assert not webinar.reminders.get(uses_ai_text=True).approved_body


# --- liveness and deadlines: a delivery whose worker died is taken over at once --------


def _claimed_by_a_dead_worker(due, django_capture_on_commit_callbacks):
    """The scan claims the reminder and its chunk task starts, then its worker is killed."""
    from tests.core.test_liveness import dead_holder

    with time_machine.travel(due, tick=False), django_capture_on_commit_callbacks(execute=False):
        assert scan_due_reminders() == 1
    ReminderDelivery.objects.update(held_by=dead_holder())


def test_a_10_minute_reminder_whose_worker_died_is_taken_over_and_sent_before_the_start(
    webinar, lead, at, django_capture_on_commit_callbacks
):
    due = START - timedelta(minutes=10)
    _claimed_by_a_dead_worker(due, django_capture_on_commit_callbacks)

    at(due + timedelta(minutes=1), scan_due_reminders)  # the next scan, a minute later

    delivery = ReminderDelivery.objects.get()
    assert delivery.status == ReminderDelivery.Status.QUEUED
    assert delivery.takeovers == 1
    assert [m.channel for m in reminders()] == [Channel.EMAIL, Channel.SMS]


def test_a_reminder_taken_over_after_the_webinar_started_is_skipped_with_the_true_reason(
    webinar, lead, at, django_capture_on_commit_callbacks
):
    due = START - timedelta(minutes=10)
    _claimed_by_a_dead_worker(due, django_capture_on_commit_callbacks)
    # The scan takes it over, but its new task only runs once the webinar has begun.
    with (
        time_machine.travel(due + timedelta(minutes=1), tick=False),
        django_capture_on_commit_callbacks(execute=False),
    ):
        scan_due_reminders()
    delivery = ReminderDelivery.objects.get()

    at(START + timedelta(minutes=1), deliver_reminders, delivery_ids=[delivery.pk])

    delivery.refresh_from_db()
    assert reminders() == []
    assert delivery.status == ReminderDelivery.Status.SKIPPED
    assert delivery.detail["reason"] == "el worker se detuvo y el webinar ya había empezado"
    assert delivery.detail["takeovers"] == 1


def test_a_reminder_taken_over_once_the_next_one_is_due_is_skipped_not_sent_on_top_of_it(
    webinar, lead, at, django_capture_on_commit_callbacks
):
    due = START - timedelta(hours=2)
    _claimed_by_a_dead_worker(due, django_capture_on_commit_callbacks)
    with (
        time_machine.travel(due + timedelta(minutes=1), tick=False),
        django_capture_on_commit_callbacks(execute=False),
    ):
        scan_due_reminders()
    delivery = ReminderDelivery.objects.get()

    at(START - timedelta(minutes=9), deliver_reminders, delivery_ids=[delivery.pk])

    delivery.refresh_from_db()
    assert reminders() == []
    assert delivery.detail["reason"] == "el worker se detuvo y ya tocaba el siguiente recordatorio"


def test_a_reminder_whose_worker_is_alive_is_not_taken_over(
    webinar, lead, at, django_capture_on_commit_callbacks
):
    from courseops.core import liveness

    due = START - timedelta(minutes=10)
    with time_machine.travel(due, tick=False), django_capture_on_commit_callbacks(execute=False):
        scan_due_reminders()
        ReminderDelivery.objects.update(held_by=liveness.me())

    at(due + timedelta(seconds=30), scan_due_reminders)

    assert ReminderDelivery.objects.get().takeovers == 0
    assert reminders() == []


def test_an_approved_ai_text_is_not_sent_once_the_webinar_moved_and_a_new_draft_is_asked_for(
    webinar, lead, staff_user, at
):
    from courseops.reviews.models import DraftStatus
    from webinars.services.webinars import webinar_reschedule

    draft = approve_7d(webinar, staff_user, at)
    later = START + timedelta(days=2)
    at(BEFORE + timedelta(days=1), webinar_reschedule, webinar=webinar, starts_at=later)

    at(later - timedelta(days=7), scan_due_reminders)

    assert reminders() == []  # no reminder with the old date
    draft.refresh_from_db()
    assert draft.status == DraftStatus.WITHDRAWN
    assert "cambió de fecha" in draft.last_error
    assert webinar.reminders.get(uses_ai_text=True).approved_body == ""
    redraft = Draft.objects.filter(kind="webinar_reminder", status=DraftStatus.PENDING).get()
    assert redraft.context["starts_at"] == later.isoformat()


def test_the_ai_reminder_is_drafted_and_reviewed_in_each_registrants_language(
    webinar, lead, staff_user, at
):
    at(
        BEFORE,
        registration_create,
        webinar=webinar,
        email="john@example.com",
        name="John Smith",
        language="en",
        source=Registration.Source.API,
    )
    drafts = {
        d.data.get("language", "es"): d for d in Draft.objects.filter(kind="webinar_reminder")
    }
    assert set(drafts) == {"es", "en"}
    at(BEFORE, approve_draft, draft=drafts["es"], user=staff_user)

    at(START - timedelta(days=7), scan_due_reminders)

    by_person = {m.recipient: m for m in reminders(Channel.EMAIL)}
    spanish, english = by_person["lead@example.com"], by_person["john@example.com"]
    assert spanish.subject == drafts["es"].subject.replace("{nombre}", "Mario")
    # No English text approved yet: John gets the standard reminder in English, never the
    # Spanish AI text.
    assert english.language == "en"
    assert english.subject.startswith("Reminder: IA para tu negocio")
    assert drafts["es"].subject.replace("{nombre}", "John") != english.subject
    assert "Te recordamos" not in english.text_body


def test_an_approved_english_text_reaches_english_registrants(webinar, lead, staff_user, at):
    at(
        BEFORE,
        registration_create,
        webinar=webinar,
        email="john@example.com",
        name="John Smith",
        language="en",
        source=Registration.Source.API,
    )
    for draft in Draft.objects.filter(kind="webinar_reminder"):
        at(BEFORE, approve_draft, draft=draft, user=staff_user)
    english_draft = Draft.objects.get(kind="webinar_reminder", data__language="en")

    at(START - timedelta(days=7), scan_due_reminders)

    english = next(m for m in reminders(Channel.EMAIL) if m.recipient == "john@example.com")
    assert english.subject == english_draft.subject.replace("{nombre}", "John")
