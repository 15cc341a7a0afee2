"""A webinar's replay page in Chromium, reached from the follow-up email's link with
production's security settings: the recording plays in the portal's player, the chapters of
the approved summary seek, Zoom's passcode is shown and copied, what was watched is
recorded; axe-core finds nothing serious at 1280 and 375 px."""

import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from content.demo import demo_video
from courseops.messaging.models import OutboundMessage
from courseops.reviews.models import Draft
from courseops.reviews.services import apply_draft, approve_draft
from students.models import Plan, Student
from students.portal.services import sign_in_link
from tests.browser.accessibility import check_widths
from tests.browser.conftest import assert_production_headers
from webinars.models import Recording, Registration, ReplayProgress, Webinar
from webinars.services.recordings import summary_draft

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SEGMENTS = [
    {"start": 0.0, "end": 5.9, "text": "Bienvenidos a agentes de IA."},
    {"start": 6.0, "end": 11.9, "text": "Un agente usa herramientas."},
    {"start": 12.0, "end": 19.9, "text": "Revisad sus permisos antes de darle acceso."},
]
SHARE_URL = "https://us02web.zoom.us/rec/share/AbC-123"
PASSCODE = "Xk7#pQ2v"


@pytest.fixture(scope="module")
def video_bytes():
    return demo_video(20)


@pytest.fixture
def followup(video_bytes):
    """A finished webinar with a Zoom recording (its file uploaded too), its summary
    approved by staff and the follow-up to the student queued: returns the email."""
    plan = Plan.objects.create(slug="premium", name="Premium", price=99)
    student = Student.objects.create(
        full_name="Lucía Fernández",
        email="lucia@example.com",
        plan=plan,
        source=Student.Source.API,
        status=Student.Status.ACTIVE,
    )
    webinar = Webinar.objects.create(
        title="Agentes de IA",
        starts_at=timezone.now() - timedelta(days=2),
        time_zone="Europe/Madrid",
        status=Webinar.Status.FINISHED,
    )
    Registration.objects.create(
        webinar=webinar, student=student, email=student.email, source="admin", attended=True
    )
    recording = Recording.objects.create(
        webinar=webinar,
        source=Recording.Source.ZOOM,
        watch_url=SHARE_URL,
        watch_passcode=PASSCODE,
        transcript=" ".join(s["text"] for s in SEGMENTS),
        transcript_segments=SEGMENTS,
        status=Recording.Status.TRANSCRIBED,
    )
    recording.file.save("agentes.webm", ContentFile(video_bytes))
    draft = summary_draft(recording=recording)  # offline AI: chapters from the transcript
    staff = _staff()
    approve_draft(draft=draft, user=staff)
    apply_draft(draft_id=draft.pk)
    assert Draft.objects.get(pk=draft.pk).data["chapters"]
    return student, OutboundMessage.objects.get(recipient=student.email)


def _staff():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(
        "revisora", password="x", is_staff=True, is_superuser=True
    )


def test_a_student_opens_the_replay_from_the_follow_up_plays_and_copies_the_passcode(
    page, followup, tmp_path
):
    student, email = followup
    [link] = re.findall(r'href="([^"]+/grabacion/)"', email.html_body)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    # Signed out, the link asks for sign-in; the emailed sign-in link, used in the same
    # browser, ends on the replay the email linked (not on the portal's home).
    page.goto(link)
    assert page.url.endswith("/portal/entrar/")
    page.goto(sign_in_link(student=student))
    page.get_by_role("button", name="Entrar al portal").click()
    page.wait_for_url("**/grabacion/")
    shown = page.reload()
    assert_production_headers(shown)
    page.get_by_role("heading", name="Agentes de IA").wait_for()

    page.wait_for_function("() => document.getElementById('player-video').readyState >= 1")
    page.wait_for_function(
        "() => document.getElementById('player-video').textTracks[0].cues?.length === 3"
    )
    chapters = page.locator("ol.chapters li")
    assert chapters.count() == 3
    assert "Un agente usa herramientas." in chapters.nth(1).inner_text()
    page.get_by_role("button", name="Ir a 00:06").click()
    page.wait_for_function("() => document.getElementById('player-video').currentTime >= 9")
    with page.expect_response(re.compile(r"/grabacion/reproduccion/$")) as reported:
        page.evaluate("document.getElementById('player-video').pause()")
    assert reported.value.status == 204
    progress = ReplayProgress.objects.get(student=student)
    assert progress.position_seconds >= 9

    assert page.locator("#passcode").inner_text() == PASSCODE
    page.get_by_role("button", name="Copiar el código").click()
    page.get_by_text("Código copiado.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == PASSCODE
    assert page.get_by_role("link", name="Abrir la grabación en Zoom").get_attribute("href") == (
        SHARE_URL
    )

    violations = check_widths(page, tmp_path, "replay")
    assert violations == {"laptop": [], "phone": []}
    assert not [e for e in errors if "Content Security Policy" in e]
