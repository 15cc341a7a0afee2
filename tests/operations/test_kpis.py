"""The KPI dashboard: hand-computed figures, targets and status, period, CSV, and a page
in constant queries whatever the data (it reads the stored figures; computing them, the
periodic task's work, is in constant queries too)."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from content.models import ContentJob, Course, JobStep, Lesson
from courseops.ai.models import AIUsage
from courseops.operations.kpis import snapshot
from courseops.operations.kpis.services import Period, dashboard, period_from
from courseops.operations.models import KpiTarget
from courseops.operations.tasks import refresh_kpis
from courseops.reviews.models import Draft, DraftStatus
from engagement.models import ActivityEvent, ActivityKind
from marketing.models import Lead, MarketingCost
from students.models import OnboardingStep, Plan, Student, Subscription
from surveys.models import Answer, Survey
from surveys.services import survey_for
from webinars.models import Registration, Webinar

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
PERIOD = Period(date(2026, 11, 14), TODAY)  # 7 days; the previous one is Nov 7-13


def _at(day, hour=10, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def _student(n, *, created, activated_after=None, plan):
    with time_machine.travel(created, tick=False):
        return Student.objects.create(
            full_name=f"A{n}",
            email=f"s{n}@example.com",
            plan=plan,
            source="api",
            activated_at=created + activated_after if activated_after else None,
        )


@pytest.fixture
def data(settings):
    settings.TIME_ZONE = "UTC"
    plan = Plan.objects.create(slug="pro", name="Pro")
    # This period: 4 students, activation after 2, 4 and 10 minutes; one never active.
    for n, minutes in enumerate([2, 4, 10, None]):
        _student(
            n,
            created=_at(15 + n),
            plan=plan,
            activated_after=timedelta(minutes=minutes) if minutes else None,
        )
    # Previous period: 2 students.
    for n in range(2):
        _student(10 + n, created=_at(8), plan=plan, activated_after=timedelta(minutes=30))
    OnboardingStep.objects.create(
        student=Student.objects.get(email="s3@example.com"),
        name="lms",
        status=OnboardingStep.Status.FAILED,
        started_at=_at(18),
    )
    webinar = Webinar.objects.create(
        title="W", starts_at=_at(16), time_zone="UTC", status=Webinar.Status.FINISHED
    )
    for n, attended in enumerate([True, True, False, False, True]):
        Registration.objects.create(
            webinar=webinar, email=f"r{n}@x.io", source="api", attended=attended
        )
    survey = survey_for(Survey.Kind.WEBINAR, webinar=webinar)
    nps_survey = survey_for(Survey.Kind.NPS_DAY_30)
    with time_machine.travel(_at(17), tick=False):
        for n, score in enumerate([5, 4, 4]):
            Answer.objects.create(survey=survey, respondent=f"w{n}", score=score)
        for n, score in enumerate([10, 9, 7, 3]):  # 2 promoters, 1 detractor of 4: NPS 25
            Answer.objects.create(survey=nps_survey, respondent=f"n{n}", score=score)
    with time_machine.travel(_at(15), tick=False):
        for n in range(3):
            Lead.objects.create(
                email=f"l{n}@x.io",
                first_source="api",
                last_source="api",
                student=Student.objects.get(email="s0@example.com") if n == 0 else None,
            )
    AIUsage.objects.create(kind="generate", prompt_name="p", cost_usd="0.25", created_at=_at(15))
    AIUsage.objects.create(kind="generate", prompt_name="p", cost_usd="0.50", created_at=_at(19))
    AIUsage.objects.create(kind="generate", prompt_name="p", cost_usd="9", created_at=_at(1))
    for status, body in [
        (DraftStatus.APPLIED, "same"),
        (DraftStatus.APPLIED, "edited"),
        (DraftStatus.APPROVED, "same"),
        (DraftStatus.REJECTED, "same"),
    ]:
        Draft.objects.create(
            kind="welcome_email",
            status=status,
            generated_body="same",
            body=body,
            decided_at=_at(16),
        )


def _figures():
    with time_machine.travel(NOW, tick=False):
        return {row.kpi.key: row for row in dashboard(PERIOD)}


def test_figures_match_hand_computed_values(data):
    rows = _figures()
    assert rows["onboarding.new_students"].value == 4
    assert rows["onboarding.new_students"].previous == 2
    assert rows["onboarding.new_students"].trend == pytest.approx(100)
    assert rows["onboarding.activation_minutes"].value == pytest.approx(4)
    assert rows["onboarding.activation_minutes"].previous == pytest.approx(30)
    assert rows["onboarding.completion"].value == pytest.approx(75)
    assert rows["onboarding.setup_errors"].value == 1
    assert rows["webinars.held"].value == 1
    assert rows["webinars.attendance"].value == pytest.approx(60)
    assert rows["surveys.webinar_satisfaction"].value == pytest.approx(13 / 3)
    assert rows["surveys.nps"].value == 25
    assert rows["marketing.leads"].value == 3
    assert rows["marketing.conversion"].value == pytest.approx(100 / 3)
    assert rows["ai.cost"].value == pytest.approx(0.75)
    assert rows["ai.approved_unedited"].value == pytest.approx(50)
    assert rows["ai.approved_edited"].value == pytest.approx(25)
    assert rows["ai.rejected"].value == pytest.approx(25)
    # The daily series has one point per day of the period, on the right day.
    series = dict(rows["onboarding.new_students"].series)
    assert len(series) == 7
    assert series[date(2026, 11, 15)] == 1
    assert series[date(2026, 11, 14)] == 0


def test_targets_set_the_status_and_staff_can_change_them(data):
    rows = _figures()
    assert rows["onboarding.activation_minutes"].status == "ok"  # 4 min <= 5
    assert rows["onboarding.completion"].status == "miss"  # 75% < 95%
    KpiTarget.objects.create(key="onboarding.completion", target=70)
    assert _figures()["onboarding.completion"].status == "ok"


def test_period_picker():
    assert period_from({"dias": "7"}, today=TODAY) == Period(date(2026, 11, 14), TODAY)
    assert period_from({"desde": "2026-10-01", "hasta": "2026-10-31"}) == Period(
        date(2026, 10, 1), date(2026, 10, 31)
    )
    assert period_from({"desde": "nope"}, today=TODAY).days == 30
    assert period_from({"desde": "2026-10-31", "hasta": "2026-10-01"}, today=TODAY).days == 30


def _page_after_refresh(admin_client):
    """The landing page once the periodic task stored the figures, and its queries."""
    cache.clear()
    with time_machine.travel(NOW, tick=False):
        refresh_kpis.apply()
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get("/admin/?dias=7")
    assert response.status_code == 200
    return response, queries


def test_landing_page_shows_the_dashboard_in_constant_queries(data, admin_client):
    def page_queries():
        response, queries = _page_after_refresh(admin_client)
        return response, len(queries)

    response, small = page_queries()
    page = response.content.decode()
    assert 'data-kpi="onboarding.new_students"' in page
    assert "no alcanza el objetivo" in page
    assert "<polyline" in page
    plan = Plan.objects.get()
    for n in range(40):
        _student(100 + n, created=_at(16), plan=plan, activated_after=timedelta(minutes=3))
        Lead.objects.create(email=f"more{n}@x.io", first_source="api", last_source="api")
    _response, large = page_queries()
    assert large == small


def test_csv_export(data, admin_client):
    with time_machine.travel(NOW, tick=False):
        response = admin_client.get("/admin/kpis.csv?dias=7")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")  # Spanish Excel: BOM, ";" and 0,5
    rows = {row["kpi"]: row for row in csv.DictReader(io.StringIO(text), delimiter=";")}
    assert rows["onboarding.new_students"]["valor"] == "4"
    assert rows["onboarding.new_students"]["anterior"] == "2"
    assert rows["ai.cost"]["valor"] == "0,75"
    assert rows["onboarding.completion"]["estado"] == "miss"


def test_csv_needs_staff(client):
    assert client.get("/admin/kpis.csv").status_code == 302


def _grow(n, offset):
    """n more rows of everything the subscription, content, marketing and AI figures read,
    spread over several callers, prompt versions and cohorts."""
    plan = Plan.objects.get()
    course = Course.objects.get_or_create(title="Bench")[0]
    for i in range(offset, offset + n):
        student = _student(
            1000 + i, created=_at(1 + i % 19), plan=plan, activated_after=timedelta(minutes=3)
        )
        Subscription.objects.create(
            student=student,
            plan=plan,
            stripe_subscription_id=f"sub_grow_{i}",
            status="canceled" if i % 3 else "active",
            started_at=_at(1 + i % 19) - timedelta(days=40 * (i % 4)),
            ended_at=_at(15 + i % 5) if i % 3 else None,
        )
        ActivityEvent.objects.create(
            student=student, kind=ActivityKind.SIGN_IN, occurred_at=_at(15 + i % 5), source="api"
        )
        Lead.objects.create(
            email=f"grow{i}@x.io", first_source="api", last_source="api", student=student
        )
        MarketingCost.objects.create(spent_on=date(2026, 11, 14 + i % 7), amount=10)
        job = ContentJob.objects.create(lesson=Lesson.objects.create(course=course, title=f"L{i}"))
        JobStep.objects.create(
            job=job,
            name=JobStep.Name.PUBLISH,
            status=JobStep.Status.DONE,
            finished_at=_at(15 + i % 5),
        )
        usage = AIUsage.objects.create(
            prompt_name=f"prompt_{i % 5}",
            prompt_version=str(i),
            requested_by=f"{['content', 'students', 'engagement', 'x'][i % 4]}.{i}",
            cost_usd="0.01",
            created_at=_at(15 + i % 5),
        )
        Draft.objects.create(
            kind="welcome_email",
            status=DraftStatus.APPLIED,
            generated_body="a",
            body="a" if i % 2 else "b",
            ai_usage=usage,
            decided_at=_at(15 + i % 5),
        )


def test_every_figure_and_table_is_computed_in_constant_queries(data):
    def compute_queries():
        with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as queries:
            figures = snapshot.compute(PERIOD)
        assert figures["kpis"]["onboarding.new_students"][0] > 0
        return len(queries)

    _grow(3, 0)
    small = compute_queries()
    _grow(30, 3)
    assert compute_queries() == small


def test_the_page_reads_stored_figures_only_in_the_same_queries_whatever_the_students(
    data, admin_client
):
    def page_queries():
        response, queries = _page_after_refresh(admin_client)
        assert 'data-kpi="onboarding.new_students"' in response.content.decode()
        return [query["sql"] for query in queries]

    _grow(3, 0)
    small = page_queries()
    _grow(60, 3)
    large = page_queries()
    assert len(large) == len(small) <= 8
    # Session, user, the index's own reads, targets and incidents: no table a figure
    # is computed from.
    for table in ("students_student", "engagement_activityevent", "marketing_lead", "ai_aiusage"):
        assert not [sql for sql in large if f'"{table}"' in sql], table
