"""Alerts with a severity, acknowledged and snoozed by staff, listed on the dashboard most
severe first (snoozed ones hidden until their time is up)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courseops.audit.models import AuditEntry
from courseops.operations.alerts import checks as core_checks  # noqa: F401  (registered first)
from courseops.operations.alerts import registry
from courseops.operations.alerts.registry import Finding, registered_checks
from courseops.operations.alerts.services import evaluate_alerts
from courseops.operations.models import Incident, Severity

pytestmark = pytest.mark.django_db
START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def checks(monkeypatch, slack, django_capture_on_commit_callbacks):
    """Three checks of each severity; `run()` evaluates them at a given time."""
    monkeypatch.setattr(registry, "_CHECKS", dict(registry._CHECKS))
    state = {"info_says": ""}

    @registry.alert_check("tests.down", "down", severity="critical")
    def down(now):
        yield Finding(title="El worker está caído")

    @registry.alert_check("tests.slow", "slow")
    def slow(now):
        yield Finding(title="Va lento")

    @registry.alert_check("tests.fyi", "fyi", severity="info")
    def fyi(now):
        yield Finding(title="Para que lo sepas", severity=state["info_says"])

    def run(at=START):
        with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
            evaluate_alerts(only={"tests.down", "tests.slow", "tests.fyi"})

    run.state = state
    return run


def _staff(django_user_model, client, role):
    user = django_user_model.objects.create_user(username=role, password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


def _dashboard(client, at):
    with time_machine.travel(at, tick=False):
        response = client.get("/admin/?dias=7")
    assert response.status_code == 200
    return response.content.decode()


def test_incidents_take_their_checks_severity_and_a_finding_can_change_it(checks):
    checks()
    severities = dict(Incident.objects.values_list("check_name", "severity"))
    assert severities == {
        "tests.down": Severity.CRITICAL,
        "tests.slow": Severity.WARNING,
        "tests.fyi": Severity.INFO,
    }
    checks.state["info_says"] = Severity.CRITICAL
    checks(START + timedelta(minutes=1))
    assert Incident.objects.get(check_name="tests.fyi").severity == Severity.CRITICAL


def test_every_core_check_declares_a_known_severity():
    for check in registered_checks().values():
        assert check.severity in Severity.values, check.name
    assert registered_checks()["core.heartbeats"].severity == Severity.CRITICAL
    assert registered_checks()["operations.kpi_targets"].severity == Severity.INFO


def test_support_acknowledges_and_snoozes_from_the_admin_and_the_dashboard_follows(
    checks, client, django_user_model
):
    checks()
    user = _staff(django_user_model, client, "support")
    page = _dashboard(client, START)
    order = [page.index(f'data-severity="{s}"') for s in ("critical", "warning", "info")]
    assert order == sorted(order)  # most severe first
    slow = Incident.objects.get(check_name="tests.slow")
    down = Incident.objects.get(check_name="tests.down")
    url = "/admin/operations/incident/"
    with time_machine.travel(START, tick=False):
        client.post(url, {"action": "acknowledge", "_selected_action": [down.pk]})
        client.post(url, {"action": "snooze_hour", "_selected_action": [slow.pk]})
    down.refresh_from_db()
    slow.refresh_from_db()
    assert down.acknowledged_by == user
    assert slow.snoozed_until == START + timedelta(hours=1)
    assert slow.acknowledged_by == user  # snoozing takes it too
    assert set(
        AuditEntry.objects.filter(action__startswith="operations.incident.").values_list(
            "action", flat=True
        )
    ) >= {"operations.incident.acknowledged", "operations.incident.snoozed"}

    page = _dashboard(client, START + timedelta(minutes=30))
    assert f'data-incident="{slow.pk}"' not in page
    assert "1 pospuesta" in page
    assert "reconocida por support" in page
    checks(START + timedelta(minutes=90))  # still seen after the snooze: it comes back
    page = _dashboard(client, START + timedelta(minutes=90))
    assert f'data-incident="{slow.pk}"' in page


@pytest.mark.parametrize("role", ["content", "marketing"])
def test_roles_without_operations_see_no_alerts_and_cannot_act(
    checks, client, django_user_model, role
):
    checks()
    _staff(django_user_model, client, role)
    page = _dashboard(client, START)
    assert 'id="kpi-alerts"' not in page
    down = Incident.objects.get(check_name="tests.down")
    with time_machine.travel(START, tick=False):
        client.post(
            "/admin/operations/incident/",
            {"action": "acknowledge", "_selected_action": [down.pk]},
        )
    down.refresh_from_db()
    assert down.acknowledged_at is None


def test_the_alerts_on_the_dashboard_cost_constant_queries(checks, admin_client, monkeypatch):
    checks()
    _dashboard(admin_client, START)  # queues the KPI snapshot (a visit computes none)
    with CaptureQueriesContext(connection) as small:
        _dashboard(admin_client, START)
    for n in range(20):

        @registry.alert_check(f"tests.more{n}", "more", severity="critical")
        def more(now):
            yield Finding(title="Otra")

    with time_machine.travel(START, tick=False):
        evaluate_alerts(only={f"tests.more{n}" for n in range(20)})
    with CaptureQueriesContext(connection) as large:
        page = _dashboard(admin_client, START)
    assert page.count('data-severity="critical"') == 21
    assert len(large) == len(small)
