"""The demo course: a published lesson with a short generated video (title card and a
tone), its captions and chapters, one lesson waiting for review; loads twice unchanged,
and without a working ffmpeg still loads, with no video."""

import subprocess

from content.demo import DEMO_VIDEO_SECONDS, load_content_demo
from content.models import Lesson
from courseops.ai import media
from courseops.core.player import chapters


def _streams(path):
    probe = subprocess.run(  # noqa: S603  (the binary the app uses, our own file)
        [media.ffmpeg_exe(), "-hide_banner", "-i", path], capture_output=True, text=True
    )
    return probe.stderr


def test_demo_has_a_published_lesson_with_a_short_video_and_one_waiting_for_review(
    staff_user, plan
):
    plan.slug = "premium"
    plan.save()
    load_content_demo(staff=staff_user)
    first = Lesson.objects.get(order=1)
    video_name = first.video.name
    load_content_demo(staff=staff_user)  # idempotent: nothing made again

    first, second = Lesson.objects.order_by("order")
    assert first.video.name == video_name
    assert first.published_at is not None
    assert first.pdf
    assert len(first.quiz["questions"]) >= 3
    assert first.video.name.endswith(".webm")
    assert first.video.open("rb").read(4) == b"\x1a\x45\xdf\xa3"  # EBML: a WebM file
    assert first.video.size < 500 * 1024
    streams = _streams(first.video.path)
    assert "Duration: 00:00:30" in streams
    assert "Video: vp8" in streams
    assert "Audio: opus" in streams  # the tone
    # Captions and chapters fit its thirty seconds.
    assert first.transcript[-1]["end"] <= DEMO_VIDEO_SECONDS
    marks = chapters(first.materials["key_points"])
    assert len(marks) >= 3
    assert all(0 <= mark["seconds"] < DEMO_VIDEO_SECONDS for mark in marks)
    assert second.published_at is None
    assert second.job.steps.get(name="review").status == "waiting"
    assert Lesson.objects.count() == 2


def test_without_a_working_ffmpeg_the_demo_lesson_loads_without_its_video(
    staff_user, plan, monkeypatch
):
    plan.slug = "premium"
    plan.save()
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", "/bin/false")  # an ffmpeg that always fails

    load_content_demo(staff=staff_user)

    first = Lesson.objects.get(order=1)
    assert first.published_at is not None
    assert not first.video
