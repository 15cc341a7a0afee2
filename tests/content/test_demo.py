from content.demo import load_content_demo
from content.models import Lesson


def test_demo_has_a_published_lesson_and_one_waiting_for_review(staff_user, plan):
    plan.slug = "premium"
    plan.save()
    load_content_demo(staff=staff_user)
    load_content_demo(staff=staff_user)  # idempotent

    first, second = Lesson.objects.order_by("order")
    assert first.published_at is not None
    assert first.pdf
    assert len(first.quiz["questions"]) >= 3
    assert first.video.name.endswith(".webm")
    assert first.video.open("rb").read(4) == b"\x1a\x45\xdf\xa3"  # EBML: a WebM file
    assert first.transcript[-1]["end"] <= 180  # its captions fit its three minutes
    assert second.published_at is None
    assert second.job.steps.get(name="review").status == "waiting"
    assert Lesson.objects.count() == 2
