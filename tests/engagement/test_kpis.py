"""Engagement's figures on the KPI dashboard, checked against hand-counted data."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from courseops.operations.kpis.services import Period, dashboard
from engagement.models import ActivityEvent, Certificate, Question

pytestmark = pytest.mark.django_db

PERIOD = Period(date(2026, 11, 14), date(2026, 11, 20))  # the previous one is Nov 7-13
NOW = datetime(2026, 11, 20, 23, tzinfo=UTC)


def _at(day, hour=10, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def _event(student, day, kind="lesson_viewed"):
    ActivityEvent.objects.create(student=student, kind=kind, occurred_at=_at(day), source="api")


def _question(student, asked, answered_after=None):
    with time_machine.travel(asked, tick=False):
        question = Question.objects.create(
            student=student, email=student.email, text="¿Cómo?", channel="portal"
        )
    if answered_after is not None:
        question.answered_at = asked + answered_after
        question.save(update_fields=["answered_at"])


@pytest.fixture
def figures(settings, make_student, plan):
    settings.TIME_ZONE = "UTC"
    ana, bea, carla, dora = (make_student() for _ in range(4))
    # Before: Ana, Bea and Carla active. This period: Ana and Bea again, plus Dora (new).
    for student in (ana, bea, carla):
        _event(student, 9)
    _event(ana, 15)
    _event(ana, 16)
    _event(bea, 16)
    _event(dora, 18)
    _event(carla, 17, kind="webinar_missed")  # missing a webinar is not being active
    _question(ana, _at(15), timedelta(minutes=2))
    _question(bea, _at(16), timedelta(minutes=4))
    _question(dora, _at(17), timedelta(minutes=30))
    _question(carla, _at(18))  # not answered yet: not in the median
    Certificate.objects.create(
        student=ana, plan=plan, code="C1", full_name="Ana", issued_at=_at(19)
    )
    with time_machine.travel(NOW, tick=False):
        return {row.kpi.key: row for row in dashboard(PERIOD)}


def test_engagement_figures_match_hand_counts(figures):
    assert figures["engagement.active_students"].value == 3  # Ana, Bea, Dora
    assert figures["engagement.active_students"].previous == 3  # Ana, Bea, Carla
    assert figures["engagement.retention"].value == pytest.approx(200 / 3)  # 2 of 3 kept
    assert figures["engagement.response_minutes"].value == pytest.approx(4)
    assert figures["engagement.response_minutes"].status == "ok"  # 4 <= 5 minutes
    assert figures["engagement.completions"].value == 1
    series = dict(figures["engagement.active_students"].series)
    assert series[date(2026, 11, 16)] == 2
    assert series[date(2026, 11, 14)] == 0
