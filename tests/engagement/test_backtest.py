from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command

from engagement.models import ActivityKind
from engagement.services.activity import Activity, record_activity
from engagement.services.backtest import run_backtest
from tests.engagement.conftest import NOW

pytestmark = pytest.mark.django_db


def act(student, at):
    record_activity(
        Activity(student=student, kind=ActivityKind.SIGN_IN, occurred_at=at, source="api")
    )


@pytest.fixture
def history(make_student):
    """Before NOW: 3 students silent for 20 days (they then drop out), 3 active (stay)."""
    with time_machine.travel(NOW - timedelta(days=60)):
        leaving = [make_student() for _ in range(3)]
        staying = [make_student() for _ in range(3)]
    for student in leaving:
        act(student, NOW - timedelta(days=20))
    for student in staying:
        for day in range(1, 6):
            act(student, NOW - timedelta(days=day))
        act(student, NOW + timedelta(days=5))
    return leaving, staying


def test_the_top_students_by_score_are_the_ones_who_dropped_out(history):
    result = run_backtest(as_of=NOW, top_k=3)

    assert (result.students, result.base_rate) == (6, 50.0)
    assert result.top_rate == 100.0


def test_the_historical_windows_count_each_event_once(history):
    from engagement.services.backtest import _historical_rows

    rows = {row["pk"]: row for row in _historical_rows(NOW)}
    leaving, staying = history

    assert rows[staying[0].pk]["recent_7"] == 5
    assert rows[leaving[0].pk]["last"] == NOW - timedelta(days=20)
    assert rows[leaving[0].pk]["dropped"] is True


def test_the_command_prints_top_k_beside_a_random_pick(history, capsys):
    with time_machine.travel(NOW + timedelta(days=40)):
        call_command("engagement_backtest", "--as-of", NOW.date().isoformat(), "--top", "3")

    output = capsys.readouterr().out
    assert "6 students enrolled by 2026-11-20" in output
    assert "100.0 % of the top 3 by risk score" in output
