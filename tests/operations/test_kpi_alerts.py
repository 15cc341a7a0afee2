"""A KPI that misses its target raises one incident (one alert, one resolution) through
the alerts machinery, reading the figures the dashboard shows (the snapshot the periodic
task stores), and the dashboard lists the missed KPIs at the top."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courseops.operations.alerts.registry import registered_checks
from courseops.operations.alerts.services import evaluate_alerts
from courseops.operations.models import Incident, KpiTarget
from courseops.operations.tasks import refresh_kpis
from students.models import OnboardingStep, Plan, Student

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 25, 12, tzinfo=UTC)  # the period is Oct 27 - Nov 25
CHECK = {"operations.kpi_targets"}


@pytest.fixture(autouse=True)
def _utc(settings):
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def plan():
    return Plan.objects.create(slug="pro", name="Pro")


def _students(plan, activated_after, *, first=0, day=20):
    """Students who signed up on Nov `day`, activated after these minutes (None: never)."""
    created = datetime(2026, 11, day, 10, tzinfo=UTC)
    for n, minutes in enumerate(activated_after, start=first):
        with time_machine.travel(created, tick=False):
            Student.objects.create(
                full_name=f"A{n}",
                email=f"a{n}@example.com",
                plan=plan,
                source="api",
                activated_at=created + timedelta(minutes=minutes) if minutes else None,
            )


def refresh(at=START):
    """What the periodic task does every few minutes: the figures, into the snapshot."""
    with time_machine.travel(at, tick=False):
        refresh_kpis.apply()


def evaluate(capture, *, at=START, times=3):
    refresh(at)
    with time_machine.travel(at, tick=False):
        for _ in range(times):
            with capture(execute=True):
                evaluate_alerts(only=CHECK)


def alert_subjects():
    return [m.subject for m in mail.outbox if m.subject.startswith("[CourseOps]")]


def test_a_kpi_missing_its_target_raises_one_alert_and_one_resolution(
    plan, slack, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    # 3 of 4 completed onboarding: 75% against a 95% target. Activation (median 4 min
    # against 5) and setup errors (0 against 0) are on target; the rest have no figure.
    _students(plan, [2, 4, 10, None])
    evaluate(capture)

    incident = Incident.objects.get()
    assert incident.key == "onboarding.completion"
    assert incident.title == "«Alta completada» no alcanza el objetivo: 75,0 % (objetivo 95,0 %)"
    assert "2026-10-27" in incident.detail
    assert alert_subjects() == [f"[CourseOps] Alerta: {incident.title}"]
    assert len(slack.calls) == 1

    # A failed setup step misses another target: a second incident, the first untouched.
    OnboardingStep.objects.create(
        student=Student.objects.first(),
        name=OnboardingStep.Name.ACCOUNT,
        status=OnboardingStep.Status.FAILED,
        started_at=datetime(2026, 11, 21, tzinfo=UTC),
    )
    evaluate(capture, at=START + timedelta(minutes=1))
    assert set(Incident.objects.values_list("key", flat=True)) == {
        "onboarding.completion",
        "onboarding.setup_errors",
    }
    assert len(alert_subjects()) == 2

    # Staff lower the target: the figure is back on target, one resolution.
    KpiTarget.objects.create(key="onboarding.completion", target=70)
    evaluate(capture, at=START + timedelta(minutes=2))
    incident.refresh_from_db()
    assert incident.resolved_at == START + timedelta(minutes=2)
    assert alert_subjects()[2] == f"[CourseOps] Resuelto: {incident.title}"
    assert len(alert_subjects()) == 3
    assert "Resuelto" in json.loads(slack.calls[2].request.content)["text"]
    assert Incident.objects.filter(resolved_at__isnull=True).get().key == "onboarding.setup_errors"


def test_the_check_reads_the_stored_figures_in_constant_queries(plan):
    check = registered_checks()["operations.kpi_targets"]

    def queries():
        refresh()
        with time_machine.travel(START, tick=False), CaptureQueriesContext(connection) as ctx:
            findings = list(check.run(START))
        return len(ctx), findings

    _students(plan, [2, None])
    small, findings = queries()
    assert [finding.key for finding in findings] == ["onboarding.completion"]
    _students(plan, [3] * 20 + [None] * 20, first=100, day=22)
    large, findings = queries()
    assert large == small == 1  # the targets: every figure comes from the snapshot
    assert [finding.key for finding in findings] == ["onboarding.completion"]


def test_without_stored_figures_the_check_leaves_its_incidents_and_queues_them(
    plan, slack, django_capture_on_commit_callbacks
):
    _students(plan, [2, 4, 10, None])
    evaluate(django_capture_on_commit_callbacks, times=1)
    incident = Incident.objects.get()
    cache.clear()  # the snapshot is gone (a cold cache): the figures are not known now

    later = START + timedelta(minutes=1)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks() as queued:
        opened, resolved = evaluate_alerts(only=CHECK)
    assert (opened, resolved) == ([], [])
    incident.refresh_from_db()
    assert incident.resolved_at is None  # not knowing is no resolution
    assert len(queued) == 1  # the 30-day figures, computed by the task, not by the check


def test_the_dashboard_lists_the_missed_kpis_at_the_top(plan, admin_client):
    _students(plan, [2, 4, 10, None])
    refresh()
    with time_machine.travel(START, tick=False):
        page = admin_client.get("/admin/").content.decode()
    missed = page.split('id="kpi-missed"')[1].split("</div>")[0]
    assert "1 indicador no alcanza su objetivo" in missed
    assert 'data-missed="onboarding.completion"' in missed
    assert 'data-missed="onboarding.activation_minutes"' not in missed
    # Above the tables of figures.
    assert page.index('id="kpi-missed"') < page.index('data-kpi="onboarding.new_students"')
