from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from courseops.audit.services import log_action
from courseops.operations.alerts.services import evaluate_alerts
from courseops.operations.models import Incident
from students.alerts import PAYMENT_FAILED

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
CHECK = {"students.payment_failures"}


def failures(count, at):
    with time_machine.travel(at, tick=False):
        for n in range(count):
            log_action(None, PAYMENT_FAILED, data={"invoice": f"in_{at:%d%H}_{n}"})


def evaluate():
    with time_machine.travel(NOW, tick=False):
        evaluate_alerts(only=CHECK)


def test_payment_failures_well_above_the_usual_daily_number_raise_an_alert():
    failures(14, NOW - timedelta(days=4))  # two a day, on average, the week before
    failures(3, NOW - timedelta(hours=2))
    evaluate()
    assert Incident.objects.count() == 0  # 3 < 2 x 2 a day

    failures(1, NOW - timedelta(hours=1))
    evaluate()
    incident = Incident.objects.get()
    assert incident.title == "4 pagos fallidos en 24 h"
    assert "2.0 al día" in incident.detail


def test_a_quiet_week_still_needs_the_minimum_number_of_failures():
    failures(2, NOW - timedelta(hours=3))
    evaluate()
    assert Incident.objects.count() == 0
    failures(1, NOW - timedelta(hours=3))
    evaluate()
    assert Incident.objects.filter(resolved_at__isnull=True).count() == 1
