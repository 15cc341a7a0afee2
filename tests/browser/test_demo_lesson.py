"""The demo lesson `make run` publishes, in Chromium with production's security settings:
its generated video plays with sound, captions and chapters that seek; axe-core finds
nothing serious at 1280 and 375 px."""

import pytest
from django.contrib.auth import get_user_model

from content.demo import load_content_demo
from content.models import Lesson
from students.models import Plan, Student
from tests.browser.accessibility import check_widths
from tests.browser.test_lesson_player import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_demo_lesson_plays_its_video_with_captions_and_chapters(page, tmp_path):
    plan = Plan.objects.create(slug="premium", name="Premium", price=99)
    staff = get_user_model().objects.create_user(
        "demo-staff", password="x", is_staff=True, is_superuser=True
    )
    load_content_demo(staff=staff)
    student = Student.objects.create(
        full_name="Lucía Fernández",
        email="lucia@example.com",
        plan=plan,
        source=Student.Source.API,
        status=Student.Status.ACTIVE,
    )
    lesson = Lesson.objects.get(order=1)
    sign_in(page, student)

    page.goto(f"/portal/lecciones/{lesson.pk}/")
    page.wait_for_function("() => document.getElementById('player-video').readyState >= 1")
    state = page.evaluate(
        """() => { const v = document.getElementById('player-video');
        return {duration: v.duration, cues: v.textTracks[0].cues?.length || 0}; }"""
    )
    assert state["duration"] == pytest.approx(30, abs=0.5)
    page.wait_for_function(
        "() => document.getElementById('player-video').textTracks[0].cues?.length === 6"
    )
    chapters = page.locator("ol.chapters button[data-seek]")
    assert chapters.count() >= 3
    chapters.nth(1).click()  # a chapter seeks and plays
    seconds = int(chapters.nth(1).get_attribute("data-seek"))
    page.wait_for_function(f"() => document.getElementById('player-video').currentTime > {seconds}")
    # The tone: Chromium decoded an audio track.
    assert page.evaluate(
        "() => document.getElementById('player-video').webkitAudioDecodedByteCount > 0"
    )

    violations = check_widths(page, tmp_path, "demo-lesson")
    assert violations == {"laptop": [], "phone": []}
