"""Reminders' and follow-ups' rollout, mode by mode: what is drafted, held, sent and what
the shadow log shows; a held reminder approved after the start is skipped, not sent late;
the shadow period ending between two reminders."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from courseops.messaging.models import Channel, OutboundMessage, Status
from courseops.reviews.models import Arm, Draft, DraftStatus, PolicyMode
from courseops.reviews.rollout import bucket, set_automation_policy, set_kind_policy
from courseops.reviews.services import DraftWithdrawn, approve_draft
from courseops.reviews.shadow_log import shadow_log
from tests.rollout_helpers import NAMES, automatic_under
from tests.webinars.conftest import START
from tests.webinars.test_recordings import SRT, finished  # noqa: F401  (a held webinar)
from tests.webinars.test_reminders import BEFORE, lead, reminders, webinar  # noqa: F401
from webinars.models import Registration
from webinars.services import registration_create, scan_due_reminders
from webinars.services.recordings import recording_upload

pytestmark = pytest.mark.django_db
DAY_BEFORE = START - timedelta(days=1)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


# --- Reminders -----------------------------------------------------------------------------


@pytest.mark.usefixtures("lead")
def test_reminders_in_shadow_are_computed_and_kept_never_sent(staff_user, at):
    at(BEFORE, set_automation_policy, automation="reminders", mode="shadow", user=staff_user)

    at(DAY_BEFORE, scan_due_reminders)

    rows = reminders()
    assert {(m.channel, m.status) for m in rows} == {
        (Channel.EMAIL, Status.SHADOWED),
        (Channel.SMS, Status.SHADOWED),
    }
    assert (
        "IA para tu negocio" in rows[0].subject
    )  # what would have gone out, as it would have read
    log = shadow_log(automation="reminders", start=BEFORE, end=START)
    assert (log.would_have_sent, log.sent_automatically) == (2, 0)
    assert log.people[0].person == "lead@example.com"
    assert len(log.people[0].would_have_sent) == 2


def held(message):
    return Draft.objects.get(kind="automation_message", object_id=str(message.pk))


@pytest.mark.usefixtures("lead")
def test_reminders_in_review_are_held_each_waits_for_staff_and_goes_once_approved(staff_user, at):
    confirmations = len(mail.outbox)  # the registration's own confirmation
    at(BEFORE, set_automation_policy, automation="reminders", mode="review", user=staff_user)

    at(DAY_BEFORE, scan_due_reminders)

    email, sms = reminders(Channel.EMAIL)[0], reminders(Channel.SMS)[0]
    assert (email.status, sms.status) == (Status.HELD, Status.HELD)
    assert email.expires_at == START - timedelta(hours=2)  # when the next reminder is due
    draft = held(email)
    assert (draft.status, draft.arm, draft.automation) == ("pending", Arm.REVIEW, "reminders")
    assert "IA para tu negocio" in draft.subject  # staff read what the person would get
    assert len(mail.outbox) == confirmations

    at(DAY_BEFORE + timedelta(minutes=30), approve_draft, draft=draft, user=staff_user)

    email.refresh_from_db()
    sms.refresh_from_db()
    assert (email.status, sms.status) == (Status.SENT, Status.HELD)  # each its own decision
    assert len(mail.outbox) == confirmations + 1
    assert shadow_log(automation="reminders", start=BEFORE, end=START).would_have_sent == 0


def test_a_held_10_minute_reminder_approved_after_the_start_is_skipped_not_sent_late(
    lead,  # noqa: F811
    staff_user,
    at,
):
    confirmations = len(mail.outbox)
    at(BEFORE, set_automation_policy, automation="reminders", mode="review", user=staff_user)
    at(START - timedelta(minutes=10), scan_due_reminders)
    email = reminders(Channel.EMAIL)[0]
    assert email.status == Status.HELD
    assert email.expires_at == START

    with pytest.raises(DraftWithdrawn, match="Su momento pasó"):
        at(START + timedelta(minutes=1), approve_draft, draft=held(email), user=staff_user)

    email.refresh_from_db()
    assert email.status == Status.DROPPED
    assert email.last_error.startswith("Retirado en revisión: Su momento pasó")
    assert held(email).status == DraftStatus.WITHDRAWN
    assert len(mail.outbox) == confirmations


@pytest.mark.usefixtures("webinar")
def test_reminders_at_n_percent_go_for_the_same_people_and_wait_for_the_others(
    webinar,  # noqa: F811
    staff_user,
    at,
):
    for n, name in enumerate(NAMES):
        at(BEFORE, registration_create, webinar=webinar, email=f"{name}@example.com",
           name=name.title(), phone=f"+5255111100{n:02d}", time_zone="America/Mexico_City",
           sms_consent=True, consent_text="Acepto recibir SMS sobre este webinar.",
           source=Registration.Source.PAGE)  # fmt: skip
    at(BEFORE, set_automation_policy, automation="reminders", mode="percent", percent=50,
       user=staff_user)  # fmt: skip
    emails = [f"{name}@example.com" for name in NAMES]
    automatic = automatic_under("automation:reminders", 50, emails)

    at(DAY_BEFORE, scan_due_reminders)
    at(START - timedelta(hours=2), scan_due_reminders)

    rows = reminders()
    assert len(rows) == 3 * len(NAMES)  # 1-day email and SMS, 2-hour email
    for message in rows:
        who = message.person_key
        assert message.status == (Status.SENT if who in automatic else Status.HELD), who
    drafted = Draft.objects.filter(kind="automation_message").values_list("person_key", flat=True)
    assert set(drafted) == set(emails) - automatic


@pytest.mark.usefixtures("lead")
def test_reminders_fully_automatic_go_with_no_draft(staff_user, at):
    at(BEFORE, set_automation_policy, automation="reminders", mode="auto", user=staff_user)

    at(DAY_BEFORE, scan_due_reminders)

    assert {m.status for m in reminders()} == {Status.SENT}
    assert {m.automation for m in reminders()} == {"reminders"}
    assert not Draft.objects.filter(kind="automation_message").exists()


def test_the_reminders_ai_text_is_kept_in_shadow_too(webinar, staff_user, at):  # noqa: F811
    # The 7-day text was drafted when the webinar was scheduled (review by default).
    assert Draft.objects.get(kind="webinar_reminder").status == DraftStatus.PENDING
    from webinars.services.reminders import reminder_text_draft

    Draft.objects.filter(kind="webinar_reminder").delete()
    at(BEFORE, set_automation_policy, automation="reminders", mode="shadow", user=staff_user)
    at(BEFORE, reminder_text_draft, webinar=webinar)

    assert Draft.objects.get(kind="webinar_reminder").status == DraftStatus.SHADOW


@pytest.mark.usefixtures("lead")
def test_when_the_reminders_shadow_ends_the_next_reminder_goes_out(staff_user, at):
    at(
        BEFORE,
        set_automation_policy,
        automation="reminders",
        mode=PolicyMode.AUTO,
        shadow_from=BEFORE,
        shadow_until=START - timedelta(hours=3),
        user=staff_user,
    )

    at(DAY_BEFORE, scan_due_reminders)
    at(START - timedelta(hours=2), scan_due_reminders)

    emails = reminders(Channel.EMAIL)
    assert [m.status for m in emails] == [Status.SHADOWED, Status.SENT]


# --- Follow-ups ----------------------------------------------------------------------------


def upload(held, capture):
    with capture(execute=True):
        recording_upload(
            webinar=held,
            file=SimpleUploadedFile("sesion.vtt", ("WEBVTT\n\n" + SRT.replace(",", ".")).encode()),
            watch_url="https://youtu.be/demo",
        )


def followups():
    return OutboundMessage.objects.filter(idempotency_key__startswith="webinars.followup.")


def test_follow_ups_in_shadow_the_summary_is_drafted_and_kept(
    finished,  # noqa: F811
    staff_user,
    django_capture_on_commit_callbacks,
):
    set_automation_policy(automation="followups", mode=PolicyMode.SHADOW, user=staff_user)

    upload(finished[0], django_capture_on_commit_callbacks)

    summaries = Draft.objects.filter(kind="webinar_summary")
    assert summaries.exists()
    assert {d.status for d in summaries} == {DraftStatus.SHADOW}
    assert not followups().exists()


def test_follow_ups_of_a_summary_approved_during_a_shadow_are_computed_and_kept(
    finished,  # noqa: F811
    staff_user,
    django_capture_on_commit_callbacks,
):
    upload(finished[0], django_capture_on_commit_callbacks)
    set_automation_policy(automation="followups", mode=PolicyMode.SHADOW, user=staff_user)

    with django_capture_on_commit_callbacks(execute=True):
        for draft in Draft.objects.filter(kind="webinar_summary", status="pending"):
            approve_draft(draft=draft, user=staff_user)

    assert {(m.recipient, m.status) for m in followups()} == {
        ("ana@example.com", Status.SHADOWED),
        ("tom@example.com", Status.SHADOWED),
    }


def test_follow_ups_in_review_wait_for_the_summary_and_fully_automatic_go_at_once(
    finished,  # noqa: F811
    staff_user,
    django_capture_on_commit_callbacks,
):
    set_kind_policy(kind="webinar_summary", mode=PolicyMode.AUTO, user=staff_user)

    upload(finished[0], django_capture_on_commit_callbacks)

    assert {d.arm for d in Draft.objects.filter(kind="webinar_summary")} == {Arm.AUTO}
    assert {(m.recipient, m.status) for m in followups()} == {
        ("ana@example.com", Status.SENT),
        ("tom@example.com", Status.SENT),
    }


def test_follow_ups_at_n_percent_follow_the_recordings_arm(
    finished,  # noqa: F811
    staff_user,
    django_capture_on_commit_callbacks,
):
    # A summary speaks to everyone at the webinar: its "person" is the recording.
    set_kind_policy(kind="webinar_summary", mode=PolicyMode.PERCENT, percent=50, user=staff_user)

    upload(finished[0], django_capture_on_commit_callbacks)

    for draft in Draft.objects.filter(kind="webinar_summary"):
        assert draft.person_key == f"webinars.recording:{draft.object_id}"
        automatic = bucket("kind:webinar_summary", draft.person_key) < 50
        assert draft.arm == (Arm.AUTO if automatic else Arm.REVIEW)
        assert draft.status == (DraftStatus.APPLIED if automatic else DraftStatus.PENDING)


def test_follow_ups_in_review_go_once_staff_approved_the_summary_not_held_again(
    finished,  # noqa: F811
    staff_user,
    django_capture_on_commit_callbacks,
):
    set_automation_policy(automation="followups", mode=PolicyMode.REVIEW, user=staff_user)
    set_kind_policy(kind="webinar_summary", mode=PolicyMode.AUTO, user=staff_user)
    upload(finished[0], django_capture_on_commit_callbacks)
    # The summary is the automation's draft: in review, it waits whatever its kind says.
    assert {d.status for d in Draft.objects.filter(kind="webinar_summary")} == {"pending"}

    with django_capture_on_commit_callbacks(execute=True):
        for draft in Draft.objects.filter(kind="webinar_summary", status="pending"):
            approve_draft(draft=draft, user=staff_user)  # the one review of that text

    assert {(m.recipient, m.status) for m in followups()} == {
        ("ana@example.com", Status.SENT),
        ("tom@example.com", Status.SENT),
    }
    assert not Draft.objects.filter(kind="automation_message").exists()


def test_follow_ups_in_review_of_a_summary_approved_by_the_rollout_alone_wait_for_staff(
    finished,  # noqa: F811
    staff_user,
    django_capture_on_commit_callbacks,
):
    from courseops.reviews.services import approve_automatically

    set_automation_policy(automation="followups", mode=PolicyMode.REVIEW, user=staff_user)
    upload(finished[0], django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        for draft in Draft.objects.filter(kind="webinar_summary", status="pending"):
            approve_automatically(draft)  # no person read it

    assert {(m.recipient, m.status) for m in followups()} == {
        ("ana@example.com", Status.HELD),
        ("tom@example.com", Status.HELD),
    }
    ana = followups().get(recipient="ana@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=held(ana), user=staff_user)
    assert {(m.recipient, m.status) for m in followups()} == {
        ("ana@example.com", Status.SENT),
        ("tom@example.com", Status.HELD),
    }


def test_follow_ups_at_n_percent_go_by_each_attendees_arm(
    finished,  # noqa: F811
    staff_user,
    django_capture_on_commit_callbacks,
):
    set_automation_policy(
        automation="followups", mode=PolicyMode.PERCENT, percent=50, user=staff_user
    )
    from courseops.reviews.services import approve_automatically

    upload(finished[0], django_capture_on_commit_callbacks)
    # As for a recording in the automatic arm: a summary no person read (one staff
    # approved sends every follow-up, see above).
    with django_capture_on_commit_callbacks(execute=True):
        for draft in Draft.objects.filter(kind="webinar_summary", status="pending"):
            approve_automatically(draft)

    for message in followups():
        automatic = bucket("automation:followups", message.person_key) < 50
        assert message.status == (Status.SENT if automatic else Status.HELD)
        assert Draft.objects.filter(
            kind="automation_message", object_id=str(message.pk)
        ).exists() == (not automatic)


# --- Each thing reviewed once, and a dropped one said so ---------------------------------


def test_a_held_reminder_dropped_or_rejected_in_review_ends_its_delivery_as_skipped_with_why(
    lead,  # noqa: F811
    staff_user,
    at,
):
    from courseops.reviews.services import reject_draft
    from webinars.models import ReminderDelivery

    at(BEFORE, set_automation_policy, automation="reminders", mode="review", user=staff_user)
    at(DAY_BEFORE, scan_due_reminders)  # the 1-day email and SMS, held
    at(START - timedelta(minutes=10), scan_due_reminders)  # the 10-minute email and SMS
    day_email, day_sms = reminders(Channel.EMAIL)[0], reminders(Channel.SMS)[0]
    late_email, late_sms = reminders(Channel.EMAIL)[-1], reminders(Channel.SMS)[-1]

    # Both messages of the 1-day reminder rejected by staff: it ends, and says why.
    at(DAY_BEFORE, reject_draft, draft=held(day_email), user=staff_user, reason="No a este")
    at(DAY_BEFORE, reject_draft, draft=held(day_sms), user=staff_user, reason="Tampoco")
    # The 10-minute one approved after the start: dropped, never sent late.
    for message in (late_email, late_sms):
        with pytest.raises(DraftWithdrawn):
            at(START + timedelta(minutes=1), approve_draft, draft=held(message), user=staff_user)

    day, late = ReminderDelivery.objects.order_by("reminder__offset").reverse()
    assert (day.status, late.status) == (ReminderDelivery.Status.SKIPPED,) * 2
    assert day.detail["reason"] == "Rechazado en revisión: Tampoco"  # the last to end
    assert late.detail["reason"].startswith("Retirado en revisión: Su momento pasó")
    assert day.detail["messages"] == [day_email.pk, day_sms.pk]  # still traceable


def test_a_reminder_whose_one_message_was_rejected_and_the_other_sent_stays_queued(
    lead,  # noqa: F811
    staff_user,
    at,
):
    from courseops.reviews.services import reject_draft
    from webinars.models import ReminderDelivery

    at(BEFORE, set_automation_policy, automation="reminders", mode="review", user=staff_user)
    at(DAY_BEFORE, scan_due_reminders)
    email, sms = reminders(Channel.EMAIL)[0], reminders(Channel.SMS)[0]

    at(DAY_BEFORE, approve_draft, draft=held(email), user=staff_user)
    at(DAY_BEFORE, reject_draft, draft=held(sms), user=staff_user, reason="Sin SMS")

    assert ReminderDelivery.objects.get().status == ReminderDelivery.Status.QUEUED


def test_in_review_the_7_day_text_staff_approved_is_not_held_again_person_by_person(
    webinar,  # noqa: F811
    lead,  # noqa: F811
    staff_user,
    at,
):
    at(BEFORE, set_automation_policy, automation="reminders", mode="review", user=staff_user)
    text = Draft.objects.get(kind="webinar_reminder")
    at(BEFORE, approve_draft, draft=text, user=staff_user)  # the one review of that text

    at(START - timedelta(days=7), scan_due_reminders)
    at(DAY_BEFORE, scan_due_reminders)

    seven_days, one_day = reminders(Channel.EMAIL)
    assert seven_days.subject.startswith("Mario, en una semana")
    assert seven_days.status == Status.SENT
    # The standard 1-day reminder had no review yet: it waits for staff, once.
    assert one_day.status == Status.HELD
    assert set(
        Draft.objects.filter(kind="automation_message").values_list("object_id", flat=True)
    ) == {str(one_day.pk), str(reminders(Channel.SMS)[0].pk)}


def test_in_review_a_7_day_text_approved_by_the_rollout_alone_still_waits_for_staff(
    webinar,  # noqa: F811
    lead,  # noqa: F811
    staff_user,
    at,
):
    from courseops.reviews.services import approve_automatically

    at(BEFORE, set_automation_policy, automation="reminders", mode="review", user=staff_user)
    text = Draft.objects.get(kind="webinar_reminder")
    at(BEFORE, approve_automatically, text)  # no person read it

    at(START - timedelta(days=7), scan_due_reminders)

    [seven_days] = reminders(Channel.EMAIL)
    assert seven_days.status == Status.HELD
    assert held(seven_days).status == DraftStatus.PENDING


def test_rescheduling_withdraws_held_reminders_from_the_queue_and_they_follow_the_new_time(
    webinar,  # noqa: F811
    lead,  # noqa: F811
    staff_user,
    at,
):
    from webinars.models import ReminderDelivery
    from webinars.services import webinar_reschedule

    at(BEFORE, set_automation_policy, automation="reminders", mode="review", user=staff_user)
    at(DAY_BEFORE, scan_due_reminders)  # the 1-day email and SMS, held with the old date
    email, sms = reminders(Channel.EMAIL)[0], reminders(Channel.SMS)[0]
    new_start = START + timedelta(days=3)

    at(DAY_BEFORE + timedelta(hours=1), webinar_reschedule, webinar=webinar,
       starts_at=new_start, user=staff_user)  # fmt: skip

    for message in (email, sms):
        message.refresh_from_db()
        assert message.status == Status.CANCELED
        assert message.last_error == "El webinar cambió de fecha."
        assert held(message).status == DraftStatus.WITHDRAWN  # out of staff's queue
    # Nothing of it left: like a queued one, the reminder follows the new time.
    assert not ReminderDelivery.objects.exists()
    at(new_start - timedelta(days=1), scan_due_reminders)
    moved = reminders(Channel.EMAIL)[-1]
    assert moved.pk != email.pk
    assert moved.idempotency_key.endswith(".1.email")  # sequence 1: the new date
    assert moved.status == Status.HELD
    assert held(moved).status == DraftStatus.PENDING


def test_a_held_reminder_nobody_reviewed_in_time_is_dropped_and_its_delivery_says_why(
    lead,  # noqa: F811
    staff_user,
    at,
):
    from courseops.reviews.tasks import withdraw_expired_held_task
    from webinars.models import ReminderDelivery

    at(BEFORE, set_automation_policy, automation="reminders", mode="review", user=staff_user)
    at(START - timedelta(minutes=10), scan_due_reminders)
    email, sms = reminders(Channel.EMAIL)[0], reminders(Channel.SMS)[0]

    at(START - timedelta(minutes=1), withdraw_expired_held_task.apply)  # still in time
    assert held(email).status == DraftStatus.PENDING
    at(START + timedelta(minutes=1), withdraw_expired_held_task.apply)

    for message in (email, sms):
        message.refresh_from_db()
        assert message.status == Status.DROPPED
        assert held(message).status == DraftStatus.WITHDRAWN  # out of staff's queue
    delivery = ReminderDelivery.objects.get()
    assert delivery.status == ReminderDelivery.Status.SKIPPED
    assert delivery.detail["reason"].startswith("Retirado en revisión: Su momento pasó")
