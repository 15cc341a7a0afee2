"""The portal's replay page of a finished webinar: only for students registered to it (or
whose plan includes it), the portal's player on the published video or the uploaded file,
Zoom's share link with its passcode to copy, chapters from the approved summary only, the
share watched recorded as activity once per milestone, and the follow-up email pointing
students to it (leads keep the raw link and passcode)."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from courseops.messaging.models import OutboundMessage
from courseops.reviews.models import Draft, DraftStatus
from courseops.reviews.services import approve_draft, create_draft
from engagement.models import ActivityEvent, ActivityKind
from students.models import Plan, Student
from tests.webinars.conftest import START
from webinars.models import Recording, ReplayProgress, Webinar
from webinars.services import registration_create
from webinars.services.attendance import attendance_record
from webinars.services.recordings import grounded_chapters, recording_upload

pytestmark = pytest.mark.django_db
VIDEO = bytes(range(256)) * 40  # 10,240 bytes
SEGMENTS = [
    {"start": 0.0, "end": 9.0, "text": "Bienvenidos."},
    {"start": 9.0, "end": 40.0, "text": "Qué es un agente."},
    {"start": 40.0, "end": 95.0, "text": "Herramientas y permisos."},
]
CHAPTERS = [{"seconds": 9, "title": "Qué es un agente"}, {"seconds": 40, "title": "Permisos"}]
SRT = (
    "1\n00:00:01,000 --> 00:00:04,000\nBienvenidos a agentes de IA.\n\n"
    "2\n00:00:05,000 --> 00:00:09,000\nUn agente usa herramientas para cumplir un objetivo.\n"
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def webinar(make_webinar, student):
    """Finished, with the student and a lead (Tom) registered before it."""
    with time_machine.travel(START - timedelta(days=2), tick=False):
        webinar = make_webinar(title="Agentes de IA")
        registration_create(webinar=webinar, student=student, source="admin")
        registration_create(webinar=webinar, email="tom@example.com", source="page")
    Webinar.objects.filter(pk=webinar.pk).update(status=Webinar.Status.FINISHED)
    webinar.refresh_from_db()
    return webinar


@pytest.fixture
def signed_in(portal_sign_in, student):
    Student.objects.filter(pk=student.pk).update(status=Student.Status.ACTIVE)
    return portal_sign_in(student)


def _summary(recording, *, status, chapters=CHAPTERS, body="<p>Resumen aprobado.</p>"):
    draft = create_draft(
        kind="webinar_summary",
        target=recording,
        subject="Resumen",
        body=body,
        data={"language": "es", "chapters": chapters},
    )
    Draft.objects.filter(pk=draft.pk).update(status=status)
    return draft


def _zoom_upload(webinar):
    recording = Recording.objects.create(
        webinar=webinar,
        source=Recording.Source.ZOOM,
        watch_url="https://us02web.zoom.us/rec/share/AbC-123",
        watch_passcode="Xk7#pQ2v",
        transcript="Bienvenidos. Qué es un agente. Herramientas y permisos.",
        transcript_segments=SEGMENTS,
    )
    recording.file.save("sesion.webm", ContentFile(VIDEO))
    return recording


def page(webinar):
    return f"/portal/webinars/{webinar.pk}/grabacion/"


def test_a_zoom_recording_with_its_file_plays_here_and_shows_the_passcode_to_copy(
    client, signed_in, webinar
):
    _zoom_upload(webinar)

    response = client.get(page(webinar))

    html = response.content.decode()
    assert f'src="/portal/webinars/{webinar.pk}/grabacion/video/"' in html
    assert f'src="/portal/webinars/{webinar.pk}/grabacion/subtitulos.vtt"' in html
    assert f'data-playback-url="/portal/webinars/{webinar.pk}/grabacion/reproduccion/"' in html
    assert '<code id="passcode">Xk7#pQ2v</code>' in html
    assert 'data-copy="Xk7#pQ2v"' in html
    assert 'href="https://us02web.zoom.us/rec/share/AbC-123"' in html
    assert "courseops/player.js" in html
    assert "frame-src" not in response["Content-Security-Policy"]
    captions = client.get(f"/portal/webinars/{webinar.pk}/grabacion/subtitulos.vtt")
    assert captions.content.decode().startswith("WEBVTT")
    assert "Herramientas y permisos." in captions.content.decode()


def test_the_uploaded_video_is_served_by_the_range_asked(client, signed_in, webinar):
    _zoom_upload(webinar)
    url = f"/portal/webinars/{webinar.pk}/grabacion/video/"

    part = client.get(url, HTTP_RANGE="bytes=1000-1099")

    assert part.status_code == 206
    assert part["Content-Type"] == "video/webm"
    assert b"".join(part.streaming_content) == VIDEO[1000:1100]


def test_chapters_come_only_from_an_approved_summary(client, signed_in, webinar):
    recording = _zoom_upload(webinar)
    pending = _summary(recording, status=DraftStatus.PENDING, body="<p>Sin revisar.</p>")

    html = client.get(page(webinar)).content.decode()
    assert "data-seek" not in html
    assert "Sin revisar" not in html

    Draft.objects.filter(pk=pending.pk).update(status=DraftStatus.REJECTED)
    _summary(recording, status=DraftStatus.APPLIED)
    html = client.get(page(webinar)).content.decode()
    assert 'data-seek="9"' in html
    assert "00:40</button> Permisos" in html
    assert "Resumen aprobado." in html


def test_a_published_youtube_video_is_embedded_and_only_its_frame_let_in(
    client, signed_in, webinar
):
    Recording.objects.create(
        webinar=webinar, source="upload", video_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    )

    response = client.get(page(webinar))

    assert 'src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"' in response.content.decode()
    assert "frame-src https://www.youtube-nocookie.com" in response["Content-Security-Policy"]


def test_a_zoom_share_link_alone_opens_in_zoom_with_the_passcode(client, signed_in, webinar):
    Recording.objects.create(
        webinar=webinar,
        source=Recording.Source.ZOOM,
        watch_url="https://zoom.us/rec/share/xyz",
        watch_passcode="abc123",
    )

    html = client.get(page(webinar)).content.decode()

    assert "<video" not in html
    assert "<iframe" not in html
    assert "La grabación está en Zoom" in html
    assert 'data-copy="abc123"' in html


def test_only_registered_or_entitled_students_see_it(
    client, portal_sign_in, finished_webinar, plan
):
    _zoom_upload(finished_webinar)
    assert client.get(page(finished_webinar)).url == "/portal/entrar/"

    outsider = Student.objects.create(
        full_name="Otra",
        email="otra@example.com",
        plan=plan,
        source=Student.Source.API,
        status=Student.Status.ACTIVE,
    )
    portal_sign_in(outsider)
    assert client.get(page(finished_webinar)).status_code == 404
    assert client.get(page(finished_webinar) + "video/").status_code == 404

    # Not registered, but their plan includes the webinar.
    Plan.objects.filter(pk=plan.pk).update(includes_live_webinars=True)
    finished_webinar.plans.add(plan)
    assert client.get(page(finished_webinar)).status_code == 200


def test_a_webinar_not_finished_has_no_replay(client, signed_in, webinar):
    _zoom_upload(webinar)
    Webinar.objects.filter(pk=webinar.pk).update(status=Webinar.Status.SCHEDULED)
    assert client.get(page(webinar)).status_code == 404


def test_playback_reports_keep_the_position_and_record_each_milestone_once(
    client, signed_in, webinar, django_capture_on_commit_callbacks
):
    recording = _zoom_upload(webinar)
    url = page(webinar) + "reproduccion/"

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"position": "30", "watched": "52"}).status_code == 204
        client.post(url, {"position": "12", "watched": "40"})  # a late beacon
        client.post(url, {"position": "50", "watched": "52"})  # a repeat

    progress = ReplayProgress.objects.get(recording=recording, student=signed_in)
    assert (progress.position_seconds, progress.watched_percent) == (50, 52)
    events = ActivityEvent.objects.filter(student=signed_in, kind=ActivityKind.RECORDING_WATCHED)
    assert sorted(e.metadata["percent"] for e in events) == [25, 50]
    assert client.post(url, {"position": "-1", "watched": "10"}).status_code == 400
    assert client.post(url, {"watched": "10"}).status_code == 400


def test_the_summary_draft_carries_chapters_inside_the_recording(
    webinar, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        recording = recording_upload(
            webinar=webinar, file=SimpleUploadedFile("s.srt", SRT.encode())
        )

    recording.refresh_from_db()
    draft = Draft.objects.get(kind="webinar_summary", object_id=str(recording.pk))
    assert draft.data["chapters"] == [
        {"seconds": 1, "title": "Bienvenidos a agentes de IA."},
        {"seconds": 5, "title": "Un agente usa herramientas para cumplir un objetivo."},
    ]
    assert grounded_chapters(
        [{"seconds": 300, "title": "Después del final"}, {"seconds": 4.6, "title": " Dentro "}],
        recording.transcript_segments,
    ) == [{"seconds": 4, "title": "Dentro"}]


def _send_followups(webinar, staff_user, django_capture_on_commit_callbacks):
    Recording.objects.create(
        webinar=webinar,
        source=Recording.Source.ZOOM,
        watch_url="https://zoom.us/rec/share/abc",
        watch_passcode="Xk7#pQ2v",
    )
    with django_capture_on_commit_callbacks(execute=True):
        recording_upload(webinar=webinar, file=SimpleUploadedFile("s.srt", SRT.encode()))
    with django_capture_on_commit_callbacks(execute=True):
        for draft in Draft.objects.filter(kind="webinar_summary", status="pending"):
            approve_draft(draft=draft, user=staff_user)
    return OutboundMessage.objects.filter(idempotency_key__startswith="webinars.followup.")


@pytest.mark.parametrize("linked", [True, False], ids=["registered-as-student", "as-a-lead"])
def test_a_student_the_portal_does_not_let_in_gets_the_watch_link_not_the_replay_page(
    make_webinar, student, staff_user, django_capture_on_commit_callbacks, linked
):
    Student.objects.filter(pk=student.pk).update(status=Student.Status.INACTIVE)
    with time_machine.travel(START - timedelta(days=2), tick=False):
        webinar = make_webinar(title="Agentes de IA")
        if linked:
            registration_create(webinar=webinar, student=student, source="admin")
        else:
            registration_create(webinar=webinar, email=student.email, source="page")
    Webinar.objects.filter(pk=webinar.pk).update(status=Webinar.Status.FINISHED)
    webinar.refresh_from_db()

    followups = _send_followups(webinar, staff_user, django_capture_on_commit_callbacks)

    email = followups.get(recipient=student.email)
    assert "https://zoom.us/rec/share/abc" in email.text_body
    assert "Xk7#pQ2v" in email.text_body
    assert "/grabacion/" not in email.text_body


def test_a_students_follow_up_links_to_the_replay_page_and_a_leads_to_zoom(
    webinar, student, staff_user, settings, django_capture_on_commit_callbacks
):
    lead = webinar.registrations.get(email="tom@example.com")
    attendance_record(registration=lead, attended=True, minutes=30, source="admin")

    followups = _send_followups(webinar, staff_user, django_capture_on_commit_callbacks)

    students_email = followups.get(recipient=student.email)
    replay = f"{settings.SITE_URL}/portal/webinars/{webinar.pk}/grabacion/"
    assert replay in students_email.text_body
    assert f'href="{replay}"' in students_email.html_body
    assert "zoom.us/rec/share" not in students_email.text_body
    assert "Xk7#pQ2v" not in students_email.text_body  # the page shows it
    leads_email = followups.get(recipient="tom@example.com")
    assert "https://zoom.us/rec/share/abc" in leads_email.text_body
    assert "Xk7#pQ2v" in leads_email.text_body
