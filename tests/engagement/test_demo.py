from courseops.core.demo import load_demo_data
from courseops.reviews.models import Draft
from engagement.models import ActivityEvent, Nudge, Question, RiskScore, StudentProgress


def test_the_demo_shows_students_in_every_engagement_state_and_loads_twice_unchanged(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        load_demo_data()
    events = ActivityEvent.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        load_demo_data()

    assert ActivityEvent.objects.count() == events
    progress = {p.student.email: p for p in StudentProgress.objects.select_related("student")}
    assert progress["racha.demo@example.com"].streak_days == 8
    assert progress["fin.demo@example.com"].lessons_completed == 8
    nudges = {
        (n.student.email, n.rule.kind) for n in Nudge.objects.select_related("student", "rule")
    }
    assert ("inactiva.demo@example.com", "inactive") in nudges
    assert ("sinempezar.demo@example.com", "inactive") in nudges
    assert ("mitad.demo@example.com", "milestone") in nudges
    assert ("fin.demo@example.com", "course_completed") in nudges
    assert ("racha.demo@example.com", "streak") in nudges
    assert not any(email == "moroso.demo@example.com" for email, _ in nudges)
    assert Draft.objects.filter(kind="nudge_inactive").count() == 2
    assert RiskScore.objects.get(student__email="inactiva.demo@example.com").level != "low"
    statuses = sorted(Question.objects.values_list("status", flat=True))
    assert statuses == ["drafted", "handed_over"]
    assert Draft.objects.filter(kind="assignment_feedback").count() == 1
