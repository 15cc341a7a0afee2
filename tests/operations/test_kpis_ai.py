"""AI on the dashboard: cost per active student, cost per area, and drafts approved
unedited / edited / rejected by prompt version, checked against hand-computed figures."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine

from courseops.ai.kpis import cost_by_area, drafts_by_prompt_version
from courseops.ai.models import AIUsage
from courseops.operations.kpis.services import Period, dashboard
from courseops.reviews.models import Draft, DraftStatus
from courseops.reviews.registry import kind_label
from engagement.models import ActivityEvent, ActivityKind
from students.models import Plan, Student

pytestmark = pytest.mark.django_db


def _shown(rows):
    """Cells as the page shows them (numbers stay numbers in the table, for exports)."""
    return [[str(cell) if isinstance(cell, float) else cell for cell in row] for row in rows]


NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
PERIOD = Period(date(2026, 11, 14), date(2026, 11, 20))


def _at(day, hour=10):
    return datetime(2026, 11, day, hour, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _utc(settings):
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def usage():
    """1.10 USD in the period: content 0.30 + 0.20, students 0.40, engagement 0.10, and
    0.05 + 0.05 from callers that are no app; 5 USD before it."""
    for requested_by, cost, day in [
        ("content.summary", "0.30", 15),
        ("content.notes", "0.20", 16),
        ("engagement", "0.10", 17),
        ("students.welcome", "0.40", 18),
        ("", "0.05", 18),
        ("ops-script", "0.05", 19),
        ("content.summary", "5", 1),
    ]:
        AIUsage.objects.create(
            prompt_name="p", requested_by=requested_by, cost_usd=Decimal(cost), created_at=_at(day)
        )


@pytest.fixture
def active_students():
    """Two active students in the period (a missed webinar is no activity)."""
    plan = Plan.objects.create(slug="pro", name="Pro")
    students = [
        Student.objects.create(full_name=f"S{n}", email=f"s{n}@x.io", plan=plan, source="api")
        for n in range(4)
    ]
    for student, kind, day in [
        (students[0], ActivityKind.SIGN_IN, 15),
        (students[0], ActivityKind.LESSON_VIEWED, 16),
        (students[1], ActivityKind.QUIZ_ATTEMPTED, 17),
        (students[2], ActivityKind.WEBINAR_MISSED, 16),
        (students[3], ActivityKind.SIGN_IN, 10),
    ]:
        ActivityEvent.objects.create(
            student=student, kind=kind, occurred_at=_at(day), source="portal"
        )


def test_ai_cost_per_active_student(usage, active_students):
    with time_machine.travel(NOW, tick=False):
        rows = {row.kpi.key: row for row in dashboard(PERIOD)}
    assert rows["engagement.ai_cost_per_active_student"].value == pytest.approx(0.55)
    assert rows["engagement.ai_cost_per_active_student"].kpi.area == "ai"


def test_ai_cost_per_onboarded_student_against_its_target(dashboard_page):
    plan = Plan.objects.create(slug="pro", name="Pro")
    for n, day in enumerate([15, 17, 1]):  # the third was onboarded before the period
        Student.objects.create(
            full_name=f"S{n}", email=f"s{n}@x.io", plan=plan, source="api", activated_at=_at(day)
        )
    for requested_by, cost in [("students.welcome", "0.00034"), ("students.welcome", "0.00020")]:
        AIUsage.objects.create(
            prompt_name="welcome_email",
            requested_by=requested_by,
            cost_usd=Decimal(cost),
            created_at=_at(16),
        )
    # Another area's spend in the same days is not onboarding's.
    AIUsage.objects.create(
        prompt_name="p", requested_by="content.x", cost_usd=1, created_at=_at(16)
    )

    with time_machine.travel(NOW, tick=False):
        row = {row.kpi.key: row for row in dashboard(PERIOD)}["onboarding.ai_cost_per_student"]
        page = dashboard_page("/admin/?dias=7")

    assert row.value == pytest.approx(0.00027)
    assert (row.target, row.status) == (0.003, "ok")
    cell = page.split('data-kpi="onboarding.ai_cost_per_student"')[1].split("</tr>")[0]
    assert "0,00027 USD" in cell  # not "0,0 USD"
    assert "0,003" in cell


def test_ai_cost_per_area_by_the_app_that_asked(usage):
    assert _shown(cost_by_area(*PERIOD.bounds())) == [
        ["Contenido", 2, "0,5", "45,5 %"],
        ["Estudiantes", 1, "0,4", "36,4 %"],
        ["Otros", 2, "0,1", "9,1 %"],
        ["Participación", 1, "0,1", "9,1 %"],
    ]


def _draft(kind, status, *, usage=None, edited=False, day=16):
    return Draft.objects.create(
        kind=kind,
        status=status,
        generated_subject="Hola",
        subject="Hola",
        generated_body="texto",
        body="texto editado" if edited else "texto",
        ai_usage=usage,
        decided_at=_at(day) if day else None,
    )


def test_drafts_by_prompt_version(dashboard_page):
    v1 = AIUsage.objects.create(prompt_name="welcome_email", prompt_version="1", created_at=_at(1))
    v2 = AIUsage.objects.create(prompt_name="welcome_email", prompt_version="2", created_at=_at(1))
    _draft("welcome_email", DraftStatus.APPROVED, usage=v1)
    _draft("welcome_email", DraftStatus.REJECTED, usage=v1)
    _draft("welcome_email", DraftStatus.APPLIED, usage=v2)
    _draft("welcome_email", DraftStatus.APPLIED, usage=v2, edited=True)
    edited_subject = _draft("welcome_email", DraftStatus.APPROVED, usage=v2)
    Draft.objects.filter(pk=edited_subject.pk).update(subject="Hola, Ana")
    _draft("welcome_email", DraftStatus.APPROVED)  # no ledger row: version unknown
    _draft("lesson_materials", DraftStatus.REJECTED)
    _draft("welcome_email", DraftStatus.REJECTED, usage=v1, day=10)  # before the period
    _draft("welcome_email", DraftStatus.PENDING, usage=v1, day=None)  # not decided

    rows = {tuple(row[:3]): row[3:] for row in _shown(drafts_by_prompt_version(*PERIOD.bounds()))}
    welcome, materials = kind_label("welcome_email"), kind_label("lesson_materials")
    assert welcome != "welcome_email"  # the kind in words, not its code
    assert rows == {
        (welcome, "welcome_email.toml", "1"): [2, "50,0 %", "0,0 %", "50,0 %"],
        (welcome, "welcome_email.toml", "2"): [3, "33,3 %", "66,7 %", "0,0 %"],
        (welcome, None, None): [1, "100,0 %", "0,0 %", "0,0 %"],
        (materials, None, None): [1, "0,0 %", "0,0 %", "100,0 %"],
    }

    with time_machine.travel(NOW, tick=False):
        page = dashboard_page("/admin/?dias=7")
    section = page.split('data-kpi-table="ai.drafts_by_prompt_version"')[1].split("</table>")[0]
    assert "66,7 %" in section
    assert "—" in section  # the unknown versions
