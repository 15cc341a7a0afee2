"""One rule for times: every .ics valid RFC 5545 (read back by vobject), promotion that
follows a reschedule, a recording only for a webinar that took place."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courseops.reviews.models import Draft, DraftStatus
from courseops.reviews.services import approve_draft
from marketing.social.models import SocialChannel, SocialPost
from marketing.social.schedule import schedule_approved_drafts
from tests.ics_rfc5545 import event_starts, parse_rfc5545
from tests.webinars.conftest import START
from webinars.models import Recording, Registration, Webinar
from webinars.services import registration_create, webinar_cancel, webinar_reschedule
from webinars.services.recordings import recording_upload

pytestmark = pytest.mark.django_db
BEFORE = START - timedelta(days=20)
# Staff type 10:30 in the webinar's zone: the datetime arrives in that zone, not UTC.
MOVED = datetime(2026, 12, 12, 10, 30, tzinfo=ZoneInfo("America/Mexico_City"))


def _invites():
    return [
        content
        for message in mail.outbox
        for filename, content, _mimetype in message.attachments
        if filename.endswith(".ics")
    ]


@time_machine.travel(BEFORE, tick=False)
def test_every_ics_is_valid_rfc_5545_first_rescheduled_cancelled_and_feeds(
    client, make_webinar, django_capture_on_commit_callbacks, student
):
    webinar = make_webinar()
    with django_capture_on_commit_callbacks(execute=True):
        registration = registration_create(
            webinar=webinar, email="lead@example.com", time_zone="Europe/Madrid", source="page"
        )
        registration_create(webinar=webinar, student=student, source="admin")
    with django_capture_on_commit_callbacks(execute=True):
        webinar_reschedule(webinar=webinar, starts_at=MOVED)
    first, _student_first, moved, _student_moved = _invites()
    feed = client.get(reverse("webinars:feed")).content
    single = client.get(reverse("webinars:ics", args=[webinar.pk])).content
    with django_capture_on_commit_callbacks(execute=True):
        webinar_cancel(webinar=Webinar.objects.get(pk=webinar.pk))
    cancelled = _invites()[-1]

    assert event_starts(first) == [START]
    assert event_starts(moved) == [MOVED.astimezone(UTC)]
    assert event_starts(feed) == event_starts(single) == [MOVED.astimezone(UTC)]
    cancellation = parse_rfc5545(cancelled)
    assert cancellation.method.value == "CANCEL"
    assert cancellation.vevent.sequence.value == "2"
    assert registration.email in mail.outbox[2].to


def _webinar_posts(webinar):
    return Draft.objects.filter(
        kind="social_post",
        content_type=ContentType.objects.get_for_model(Webinar),
        object_id=str(webinar.pk),
    ).order_by("pk")


@time_machine.travel(BEFORE, tick=False)
def test_promotion_drafts_follow_a_reschedule(
    make_webinar, django_capture_on_commit_callbacks, staff_user
):
    webinar = make_webinar()
    [old] = _webinar_posts(webinar)
    assert "10 de diciembre" in old.body

    with django_capture_on_commit_callbacks(execute=True):
        webinar_reschedule(webinar=webinar, starts_at=MOVED)

    old.refresh_from_db()
    assert old.status == DraftStatus.REJECTED
    assert "cambió de fecha" in old.decision_note
    [new] = _webinar_posts(webinar).exclude(pk=old.pk)
    assert new.status == DraftStatus.PENDING
    assert "12 de diciembre" in new.body
    assert "10 de diciembre" not in new.body


@time_machine.travel(BEFORE, tick=False)
def test_scheduled_posts_with_the_old_date_are_held_back_after_a_reschedule(
    make_webinar, django_capture_on_commit_callbacks, staff_user
):
    SocialChannel.objects.create(name="Escuela", network="linkedin", slots={"0": ["12:00"]})
    webinar = make_webinar()
    [old] = _webinar_posts(webinar)
    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=old, user=staff_user)
    [post] = schedule_approved_drafts()

    with django_capture_on_commit_callbacks(execute=True):
        webinar_reschedule(webinar=webinar, starts_at=MOVED)

    post.refresh_from_db()
    assert post.status == SocialPost.Status.FAILED
    assert "fecha anterior" in post.last_error
    assert schedule_approved_drafts() == []  # the old text is never picked up again
    assert _webinar_posts(webinar).filter(status=DraftStatus.PENDING).count() == 1


def test_a_recording_cannot_be_uploaded_before_the_webinar_takes_place(
    client, staff_user, make_webinar
):
    webinar = make_webinar()
    client.force_login(staff_user)
    upload = SimpleUploadedFile("sesion.vtt", b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHola\n")

    response = client.post(
        reverse("admin:webinars_webinar_recording", args=[webinar.pk]),
        {"file": upload, "watch_url": "https://youtu.be/x"},
    )

    assert response.status_code == 400
    assert "aún no se ha celebrado" in response.text
    assert "hora de México (Ciudad de México)" in response.text
    assert not Recording.objects.exists()
    with pytest.raises(ValidationError):
        recording_upload(webinar=webinar, watch_url="https://youtu.be/x")
    with time_machine.travel(START + timedelta(hours=2)):
        assert recording_upload(webinar=webinar, watch_url="https://youtu.be/x").pk


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_registration_page_prefills_the_visitors_own_zone(
    live_server, browser_page, make_webinar
):
    webinar = make_webinar(starts_at=datetime.now(UTC) + timedelta(days=10))
    context = browser_page.context.browser.new_context(timezone_id="Europe/Madrid")
    page = context.new_page()

    page.goto(f"{live_server.url}{reverse('webinars:register', args=[webinar.pk])}")
    assert page.input_value("#id_time_zone") == "Europe/Madrid"
    page.fill("#id_name", "Marta")
    page.fill("#id_email", "marta@example.com")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    context.close()

    assert Registration.objects.get(email="marta@example.com").time_zone == "Europe/Madrid"


@time_machine.travel(BEFORE, tick=False)
def test_a_time_given_in_the_webinars_zone_is_stored_and_sent_to_zoom_in_utc(make_webinar):
    from webinars.meetings.zoom import ZoomProvider

    webinar = make_webinar(schedule=False)
    webinar_reschedule(webinar=webinar, starts_at=MOVED)

    assert webinar.starts_at.tzinfo == UTC
    assert ZoomProvider()._times(webinar)["start_time"] == "2026-12-12T16:30:00Z"
