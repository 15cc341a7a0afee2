"""Work a webinar, a registration or a recording owes survives a lost Celery message: the
broker is down when the task is asked for, the row keeps its mark, and the sweeper
(`webinars.enqueue_owed_work`) has the work done once after the grace."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from courseops.messaging.models import OutboundMessage
from courseops.reviews.models import Draft
from tests.conftest import lost_broker
from tests.webinars.conftest import START
from tests.webinars.test_recordings import SRT
from webinars import tasks
from webinars.models import Recording, Registration, Webinar
from webinars.services import registration_create, webinar_schedule
from webinars.services.owed import enqueue_due
from webinars.services.recordings import recording_upload

pytestmark = pytest.mark.django_db
BEFORE = START - timedelta(days=20)
NOTHING_DUE = {
    "reminder_text_due_since": 0,
    "social_posts_due_since": 0,
    "confirmation_due_since": 0,
    "process_due_since": 0,
}


def after_grace():
    return time_machine.travel(timezone.now() + timedelta(minutes=11), tick=False)


@time_machine.travel(BEFORE, tick=False)
def test_a_webinar_scheduled_while_the_broker_is_down_gets_its_ai_drafts_from_the_sweeper(
    make_webinar, django_capture_on_commit_callbacks
):
    webinar = make_webinar(schedule=False)
    with lost_broker(), django_capture_on_commit_callbacks(execute=True):
        webinar_schedule(webinar=webinar)

    webinar.refresh_from_db()
    assert webinar.status == Webinar.Status.SCHEDULED
    assert not Draft.objects.filter(kind__in=["social_post", "webinar_reminder"]).exists()
    assert webinar.reminder_text_due_since
    assert webinar.social_posts_due_since
    assert enqueue_due() == NOTHING_DUE  # within the grace the task is not presumed lost

    with after_grace():
        counts = enqueue_due()

    assert (counts["reminder_text_due_since"], counts["social_posts_due_since"]) == (1, 1)
    assert Draft.objects.filter(kind="social_post").count() == 1
    assert Draft.objects.filter(kind="webinar_reminder").count() == 1
    webinar.refresh_from_db()
    assert (webinar.reminder_text_due_since, webinar.social_posts_due_since) == (None, None)
    with after_grace():
        assert enqueue_due() == NOTHING_DUE


@time_machine.travel(BEFORE, tick=False)
def test_a_registration_made_while_the_broker_is_down_is_confirmed_once_by_the_sweeper(
    make_webinar, django_capture_on_commit_callbacks
):
    webinar = make_webinar()
    with lost_broker(), django_capture_on_commit_callbacks(execute=True):
        registration = registration_create(
            webinar=webinar, email="lead@example.com", name="Mario Ruiz", source="page"
        )

    confirmations = OutboundMessage.objects.filter(
        idempotency_key__startswith=f"webinars.confirmation.{registration.pk}."
    )
    assert not confirmations.exists()
    with after_grace():
        assert enqueue_due()["confirmation_due_since"] == 1

    assert confirmations.count() == 1
    assert Registration.objects.get().confirmation_due_since is None
    tasks.confirm_registration.apply(args=[registration.pk])  # a duplicate delivery
    assert confirmations.count() == 1


def test_a_recording_uploaded_while_the_broker_is_down_is_processed_by_the_sweeper(
    finished_webinar, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    with lost_broker(), django_capture_on_commit_callbacks(execute=True):
        recording = recording_upload(
            webinar=finished_webinar, file=SimpleUploadedFile("sesion.srt", SRT.encode())
        )

    recording.refresh_from_db()
    assert (recording.status, recording.transcript) == (Recording.Status.RECEIVED, "")
    with after_grace():
        assert enqueue_due()["process_due_since"] == 1

    recording.refresh_from_db()
    assert recording.transcript.startswith("Bienvenidos a agentes de IA.")
    assert recording.status == Recording.Status.SUMMARY_PENDING
    assert recording.process_due_since is None
    assert Draft.objects.filter(kind="webinar_summary").count() == 1
    with after_grace():
        assert enqueue_due() == NOTHING_DUE
