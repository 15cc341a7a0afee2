from courseops.core.demo import load_demo_data
from courseops.reviews.models import Draft
from engagement.models import (
    ActivityEvent,
    DripMessage,
    Nudge,
    Question,
    RiskScore,
    StudentProgress,
)
from students.models import Plan


def test_the_demo_shows_students_in_every_engagement_state_and_loads_twice_unchanged(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        load_demo_data()
    events = ActivityEvent.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        load_demo_data()

    assert ActivityEvent.objects.count() == events
    # Every plan shows the drip's three default messages, once however often it loads.
    for plan in Plan.objects.all():
        assert list(plan.drip_messages.values_list("day", "goal")) == [
            (1, "sign_in"),
            (3, "first_lesson"),
            (7, "first_webinar"),
        ]
    assert DripMessage.objects.count() == 3 * Plan.objects.count()
    progress = {p.student.email: p for p in StudentProgress.objects.select_related("student")}
    assert progress["sofia.demo@example.com"].streak_days == 8
    assert progress["sofia.demo@example.com"].lessons_completed == 8
    assert progress["lucia.alumna.demo@example.com"].lessons_completed == 4
    assert "maria.demo@example.com" not in progress  # not started
    nudges = {
        (n.student.email, n.rule.kind) for n in Nudge.objects.select_related("student", "rule")
    }
    assert nudges == {
        ("sofia.demo@example.com", "streak"),
        ("sofia.demo@example.com", "course_completed"),
        ("lucia.alumna.demo@example.com", "milestone"),
        ("jorge.demo@example.com", "inactive"),
    }  # pedro is past due: no nudges
    assert Draft.objects.filter(kind="nudge_inactive").count() == 1
    assert RiskScore.objects.get(student__email="jorge.demo@example.com").level != "low"
    assert (
        "pago pendiente" in RiskScore.objects.get(student__email="pedro.demo@example.com").reasons
    )
    statuses = sorted(Question.objects.values_list("status", flat=True))
    assert statuses == ["answered", "drafted", "handed_over"]
    answered = Question.objects.get(status="answered")
    assert answered.answered_at >= answered.created_at  # the response time has a figure
    assert Draft.objects.filter(kind="assignment_feedback").count() == 1
