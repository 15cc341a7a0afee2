import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection

from courseops.messaging.models import OutboundMessage
from tests.webinars.conftest import START
from webinars.models import Registration, ReminderDelivery
from webinars.services import scan_due_reminders

pytestmark = [
    pytest.mark.django_db(transaction=True),
]


def test_two_scans_racing_claim_each_reminder_once_and_queue_it_once(make_webinar):
    from webinars.services import registration_create

    with time_machine.travel(START - timedelta(days=20), tick=False):
        webinar = make_webinar()
        for number in range(40):
            registration_create(
                webinar=webinar,
                email=f"p{number}@example.com",
                source=Registration.Source.API,
            )
    OutboundMessage.objects.all().delete()  # the confirmations
    start = threading.Barrier(2)
    claimed = {}

    def scan(name):
        try:
            with time_machine.travel(START - timedelta(days=1), tick=False):
                start.wait(5)
                claimed[name] = scan_due_reminders()
        finally:
            connection.close()

    threads = [threading.Thread(target=scan, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert claimed["a"] + claimed["b"] == 40
    assert ReminderDelivery.objects.count() == 40
    assert ReminderDelivery.objects.filter(status="queued").count() == 40
    keys = list(OutboundMessage.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == len(set(keys)) == 40
