from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from engagement.models import (
    ActivityKind,
    Assignment,
    DripSend,
    Intervention,
    Nudge,
    NudgeRule,
    Question,
    RiskScore,
    Submission,
)
from engagement.services.activity import Activity, record_activity
from tests.engagement.conftest import NOW

pytestmark = pytest.mark.django_db
LISTS = [
    "activityevent",
    "studentprogress",
    "riskscore",
    "nudge",
    "intervention",
    "nudgerule",
    "weeklyreport",
    "question",
    "knowledgearticle",
    "assignment",
    "submission",
    "certificate",
    "dripsend",
    "plandrip",
]


def populate(make_student, count):
    rule = NudgeRule.objects.first()
    assignment, _ = Assignment.objects.get_or_create(
        title="Tarea", defaults={"instructions": "x", "rubric": "x"}
    )
    for _ in range(count):
        student = make_student()
        record_activity(
            Activity(student=student, kind=ActivityKind.SIGN_IN, occurred_at=NOW, source="api")
        )
        RiskScore.objects.create(student=student, score=70, level="high", computed_at=NOW)
        Nudge.objects.create(rule=rule, student=student, occurrence="never", scan_id="x")
        Intervention.objects.create(student=student, kind="call", week="2026-W47", score=70)
        Question.objects.create(student=student, email=student.email, text="¿?", channel="api")
        Submission.objects.create(assignment=assignment, student=student, submitted_at=NOW)
        DripSend.objects.create(
            student=student, goal="sign_in", day=1, due_at=NOW, status="sent", scan_id="x"
        )


def queries_for(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("model", LISTS)
def test_each_list_loads_in_the_same_number_of_queries_for_2_and_20_rows(
    model, client, staff_user, make_student
):
    client.force_login(staff_user)
    url = reverse(f"admin:engagement_{model}_changelist")
    populate(make_student, 2)
    small = queries_for(client, url)
    populate(make_student, 18)
    assert queries_for(client, url) == small


def test_the_at_risk_list_shows_reasons_and_interventions_show_their_outcomes(
    client, staff_user, make_student
):
    client.force_login(staff_user)
    student = make_student(full_name="Marta Ruiz")
    RiskScore.objects.create(
        student=student, score=81, level="high", computed_at=NOW,
        factors=[
            {"factor": "inactive", "value": 14, "points": 33, "reason": "14 días sin actividad"}
        ],
    )  # fmt: skip
    Intervention.objects.create(
        student=student, kind="call", week="2026-W47", score=81,
        applied_at=NOW - timedelta(days=8), came_back=True,
    )  # fmt: skip

    risk_page = client.get(reverse("admin:engagement_riskscore_changelist")).content.decode()
    outcome_page = client.get(reverse("admin:engagement_intervention_changelist"))

    assert "14 días sin actividad" in risk_page
    assert "Llamada del equipo: volvieron 1 de 1" in outcome_page.content.decode()


def test_staff_edit_a_rules_threshold_in_the_admin(client, staff_user):
    client.force_login(staff_user)
    rule = NudgeRule.objects.get(kind="inactive")
    url = reverse("admin:engagement_nudgerule_change", args=[rule.pk])
    response = client.post(
        url,
        {
            "name": rule.name, "kind": "inactive", "threshold": 10, "cooldown_days": 14,
            "quiet_start_hour": 22, "quiet_end_hour": 9, "active": "on",
        },
    )  # fmt: skip

    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.threshold, rule.cooldown_days, rule.quiet_start_hour) == (10, 14, 22)


def test_the_student_engagement_page_shows_progress_risk_timeline_nudges_and_questions(
    client, staff_user, make_student
):
    client.force_login(staff_user)
    populate(make_student, 1)
    student = RiskScore.objects.get().student
    RiskScore.objects.filter(student=student).update(
        factors=[{"factor": "inactive", "value": 9, "points": 18, "reason": "9 días sin actividad"}]
    )
    url = reverse("admin:engagement_studentprogress_change", args=[student.pk])

    page = client.get(url).content.decode()

    assert "70 (Alto): 9 días sin actividad" in page
    assert "Inicio de sesión" in page  # the timeline
    assert Nudge.objects.get().rule.name in page
    assert "¿?" in page  # the question
