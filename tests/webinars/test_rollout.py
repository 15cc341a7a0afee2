"""Reminders' and follow-ups' rollout, mode by mode: what is drafted, what is sent and
what the shadow log shows, and the shadow period ending between two reminders."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from courseops.messaging.models import Channel, OutboundMessage, Status
from courseops.reviews.models import Arm, Draft, DraftStatus, PolicyMode
from courseops.reviews.rollout import bucket, set_automation_policy, set_kind_policy
from courseops.reviews.services import approve_draft
from courseops.reviews.shadow_log import shadow_log
from tests.webinars.conftest import START
from tests.webinars.test_recordings import SRT, finished  # noqa: F401  (a held webinar)
from tests.webinars.test_reminders import BEFORE, lead, reminders, webinar  # noqa: F401
from webinars.services import scan_due_reminders
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


@pytest.mark.usefixtures("lead")
@pytest.mark.parametrize(
    ("mode", "percent"), [(PolicyMode.REVIEW, 0), (PolicyMode.PERCENT, 10), (PolicyMode.AUTO, 0)]
)
def test_reminders_out_of_shadow_are_sent_their_review_is_the_ai_texts(
    staff_user, at, mode, percent
):
    # Reminders are templates: no per-person draft to review, so review and a percentage
    # change who reviews the AI text of the 7-day reminder, not whether the 1-day goes.
    at(
        BEFORE,
        set_automation_policy,
        automation="reminders",
        mode=mode,
        percent=percent,
        user=staff_user,
    )

    at(DAY_BEFORE, scan_due_reminders)

    assert {m.status for m in reminders()} == {Status.SENT}
    assert {m.automation for m in reminders()} == {"reminders"}


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
