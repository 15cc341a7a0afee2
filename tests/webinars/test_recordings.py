"""An uploaded transcript ends in one approved summary and one follow-up per registrant."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from courseops.messaging.models import OutboundMessage
from courseops.reviews.models import Draft, DraftStatus
from courseops.reviews.services import DraftStateError, apply_draft, approve_draft
from tests.webinars.conftest import START
from webinars.models import Recording, Registration, Webinar
from webinars.services import registration_create
from webinars.services.attendance import attendance_record
from webinars.services.recordings import recording_upload, summary_draft

pytestmark = pytest.mark.django_db
SRT = (
    "1\n00:00:01,000 --> 00:00:04,000\nBienvenidos a agentes de IA.\n\n"
    "2\n00:00:05,000 --> 00:00:09,000\nUn agente usa herramientas para cumplir un objetivo.\n"
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def finished(make_webinar):
    with time_machine.travel(START - timedelta(days=2), tick=False):
        webinar = make_webinar(title="Agentes de IA")
        ana = registration_create(
            webinar=webinar, email="ana@example.com", name="Ana Ruiz", source="page"
        )
        tom = registration_create(
            webinar=webinar,
            email="tom@example.com",
            name="Tom Hill",
            source="page",
            language="en",
            time_zone="Europe/London",
        )
    Webinar.objects.filter(pk=webinar.pk).update(status=Webinar.Status.FINISHED)
    webinar.refresh_from_db()
    attendance_record(registration=ana, attended=True, minutes=50, source="admin")
    return webinar, ana, tom


def summary_draft_in(language):
    return Draft.objects.get(kind="webinar_summary", data__language=language)


def approve_summaries(user):
    for draft in Draft.objects.filter(kind="webinar_summary", status="pending"):
        approve_draft(draft=draft, user=user)


def _followups():
    return OutboundMessage.objects.filter(idempotency_key__startswith="webinars.followup.")


def test_an_uploaded_srt_becomes_a_transcript_and_a_summary_draft(
    finished, django_capture_on_commit_callbacks
):
    webinar, _ana, _tom = finished
    with django_capture_on_commit_callbacks(execute=True):
        recording = recording_upload(
            webinar=webinar,
            file=SimpleUploadedFile("sesion.srt", SRT.encode()),
            watch_url="https://youtu.be/demo",
        )
    recording.refresh_from_db()
    assert recording.transcript.startswith("Bienvenidos a agentes de IA.")
    assert recording.transcript_segments[1]["start"] == 5.0
    assert recording.status == Recording.Status.SUMMARY_PENDING
    draft = summary_draft_in("es")
    assert draft.subject == "Resumen: Agentes de IA"
    assert "Un agente usa herramientas" in draft.body
    assert summary_draft(recording=recording) == draft  # one draft, not one per run


def test_a_video_the_offline_provider_cannot_hear_marks_the_recording_failed(
    finished, django_capture_on_commit_callbacks
):
    webinar, _ana, _tom = finished
    with django_capture_on_commit_callbacks(execute=True):
        recording = recording_upload(
            webinar=webinar, file=SimpleUploadedFile("sesion.mp4", b"\x00\x00\x00 ftypmp42")
        )
    recording.refresh_from_db()
    assert recording.status == Recording.Status.FAILED
    assert "VTT o SRT" in recording.error
    assert not Draft.objects.filter(kind="webinar_summary").exists()


def test_approving_the_summary_sends_each_registrant_one_follow_up_in_their_language(
    finished, staff_user, django_capture_on_commit_callbacks
):
    webinar, ana, tom = finished
    with django_capture_on_commit_callbacks(execute=True):
        recording_upload(
            webinar=webinar,
            file=SimpleUploadedFile("sesion.vtt", ("WEBVTT\n\n" + SRT.replace(",", ".")).encode()),
            watch_url="https://youtu.be/demo",
        )
    draft = summary_draft_in("es")

    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=draft, user=staff_user)
    with pytest.raises(DraftStateError):  # a double click
        approve_draft(draft=draft, user=staff_user)
    apply_draft(draft_id=draft.pk)  # a redelivered task: the draft is applied, no-op
    Draft.objects.filter(pk=draft.pk).update(status=DraftStatus.APPROVED)
    apply_draft(draft_id=draft.pk)  # the action itself running twice
    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=summary_draft_in("en"), user=staff_user)  # Tom's language

    mails = {message.recipient: message for message in _followups()}
    assert sorted(mails) == ["ana@example.com", "tom@example.com"]
    assert mails["ana@example.com"].template == "webinars/followup_attended"
    assert "Gracias por venir" in mails["ana@example.com"].subject
    assert "Un agente usa herramientas" in mails["ana@example.com"].html_body
    assert "https://youtu.be/demo" in mails["ana@example.com"].text_body
    assert mails["tom@example.com"].template == "webinars/followup_missed"
    assert mails["tom@example.com"].language == "en"
    assert "https://youtu.be/demo" in mails["tom@example.com"].text_body
    webinar.refresh_from_db()
    assert webinar.attendance_settled_at is not None
    assert Registration.objects.get(pk=tom.pk).attended is False
    assert Recording.objects.get().status == Recording.Status.FOLLOWUPS_SENT

    # A later summary (staff rejected and regenerated) never mails anyone a second time.
    second = summary_draft(recording=Recording.objects.get())
    assert second == draft
    Draft.objects.filter(pk=draft.pk).update(status=DraftStatus.REJECTED)
    again = summary_draft(recording=Recording.objects.get())
    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=again, user=staff_user)
    assert _followups().count() == 2


def test_without_a_watch_link_the_approval_fails_visibly(
    finished, staff_user, django_capture_on_commit_callbacks
):
    webinar, _ana, _tom = finished
    with django_capture_on_commit_callbacks(execute=True):
        recording_upload(webinar=webinar, file=SimpleUploadedFile("s.srt", SRT.encode()))
    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=summary_draft_in("es"), user=staff_user)
    draft = summary_draft_in("es")
    assert draft.status == DraftStatus.FAILED
    assert "enlace" in draft.last_error
    assert not _followups().exists()


def test_one_unusable_address_does_not_hold_back_the_other_follow_ups(
    finished, staff_user, django_capture_on_commit_callbacks
):
    webinar, _ana, tom = finished
    Registration.objects.filter(pk=tom.pk).update(email="tom@@example")
    with django_capture_on_commit_callbacks(execute=True):
        recording_upload(
            webinar=webinar,
            file=SimpleUploadedFile("s.srt", SRT.encode()),
            watch_url="https://youtu.be/demo",
        )
    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=summary_draft_in("es"), user=staff_user)

    assert summary_draft_in("es").status == DraftStatus.APPLIED
    assert list(_followups().values_list("recipient", flat=True)) == ["ana@example.com"]


def test_an_english_registrant_reads_the_follow_up_in_english(
    finished, staff_user, django_capture_on_commit_callbacks
):
    webinar, _ana, tom = finished
    with django_capture_on_commit_callbacks(execute=True):
        recording_upload(
            webinar=webinar,
            file=SimpleUploadedFile("sesion.srt", SRT.encode()),
            watch_url="https://youtu.be/demo",
        )
    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=summary_draft_in("es"), user=staff_user)
    # Tom's follow-up waits for the summary reviewed in English: never a Spanish one.
    assert not _followups().filter(recipient=tom.email).exists()
    english = summary_draft_in("en")
    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=english, user=staff_user)

    message = _followups().get(recipient=tom.email)
    assert "What was said, in the session's own words" in message.text_body
    assert "Lo que se dijo" not in message.text_body
    assert _followups().get(recipient="ana@example.com").text_body.count("Lo que se dijo") == 1
    assert message.subject == "You missed it: the recording of Agentes de IA"
    assert message.text_body.startswith("Tom, you missed it (but not entirely).")
    assert "We missed you at Agentes de IA (" in message.text_body
    assert "United Kingdom Time" in message.text_body  # the time in the registrant's zone
    assert "What you missed" in message.text_body
    assert "Watch the recording" in message.html_body


def test_follow_ups_of_a_zoom_recording_carry_its_play_passcode(
    finished, staff_user, django_capture_on_commit_callbacks
):
    from webinars.services.recordings import recording_from_zoom

    webinar, _ana, _tom = finished
    # Zoom's recording.completed object: the share page asks for this passcode.
    recording_from_zoom(
        webinar=webinar,
        meeting={
            "share_url": "https://zoom.us/rec/share/abc",
            "recording_play_passcode": "Xk7#pQ2v",
            "recording_files": [],
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        recording_upload(webinar=webinar, file=SimpleUploadedFile("s.srt", SRT.encode()))
    with django_capture_on_commit_callbacks(execute=True):
        approve_summaries(staff_user)

    ana_email = _followups().get(recipient="ana@example.com")
    tom_email = _followups().get(recipient="tom@example.com")
    assert "https://zoom.us/rec/share/abc" in ana_email.text_body
    assert "Código de acceso: Xk7#pQ2v" in ana_email.text_body
    assert "Xk7#pQ2v" in ana_email.html_body
    assert "Passcode: Xk7#pQ2v" in tom_email.text_body


def test_a_summary_of_a_replaced_transcript_is_withdrawn_not_mailed(
    finished, staff_user, django_capture_on_commit_callbacks
):
    from courseops.reviews.services import DraftWithdrawn

    webinar, _ana, _tom = finished
    with django_capture_on_commit_callbacks(execute=True):
        recording_upload(
            webinar=webinar,
            file=SimpleUploadedFile("s.srt", SRT.encode()),
            watch_url="https://youtu.be/demo",
        )
    draft = summary_draft_in("es")
    Recording.objects.filter(webinar=webinar).update(transcript="Otra sesión, otro contenido.")

    with pytest.raises(DraftWithdrawn, match="la transcripción cambió"):
        approve_draft(draft=draft, user=staff_user)

    assert Draft.objects.get(pk=draft.pk).status == DraftStatus.WITHDRAWN
    assert not _followups().exists()


def test_a_follow_up_waiting_in_the_outbox_is_not_sent_to_a_cancelled_registration(
    finished, staff_user, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from courseops.messaging.models import Status
    from courseops.messaging.services.sending import deliver_message

    webinar, _ana, tom = finished
    with django_capture_on_commit_callbacks(execute=True):
        recording_upload(
            webinar=webinar,
            file=SimpleUploadedFile("s.srt", SRT.encode()),
            watch_url="https://youtu.be/demo",
        )
    with django_capture_on_commit_callbacks(execute=False):  # queued, not sent yet
        approve_draft(draft=summary_draft_in("en"), user=staff_user)  # Tom reads English
    apply_draft(draft_id=summary_draft_in("en").pk)
    Registration.objects.filter(pk=tom.pk).update(cancelled_at=timezone.now())
    message = _followups().get(recipient="tom@example.com")

    deliver_message(message_id=message.pk, max_attempts=3, retry_delay=lambda n: timedelta())

    message.refresh_from_db()
    assert message.status == Status.DROPPED
    assert "la inscripción se canceló" in message.last_error
