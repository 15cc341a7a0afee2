from datetime import timedelta

import pytest
import time_machine

from courseops.audit.models import AuditEntry
from tests.webinars.conftest import START
from webinars.models import Webinar
from webinars.services import webinar_cancel, webinars_advance_status

pytestmark = pytest.mark.django_db
Status = Webinar.Status


@pytest.fixture
def webinar(make_webinar):
    with time_machine.travel(START - timedelta(days=1), tick=False):
        return make_webinar(duration_minutes=90)


def status_at(webinar, moment):
    webinars_advance_status(now=moment)
    webinar.refresh_from_db()
    return webinar.status


def test_a_webinar_goes_live_when_it_starts_and_finishes_when_it_ends(webinar):
    assert webinar.status == Status.SCHEDULED

    assert status_at(webinar, START - timedelta(minutes=1)) == Status.SCHEDULED
    assert status_at(webinar, START + timedelta(minutes=1)) == Status.LIVE
    assert status_at(webinar, START + timedelta(minutes=89)) == Status.LIVE
    assert status_at(webinar, START + timedelta(minutes=91)) == Status.FINISHED
    moves = AuditEntry.objects.filter(
        object_id=str(webinar.pk), action__in=["webinars.webinar.live", "webinars.webinar.finished"]
    ).order_by("id")
    assert list(moves.values_list("action", flat=True)) == [
        "webinars.webinar.live",
        "webinars.webinar.finished",
    ]


def test_running_twice_moves_nothing_twice(webinar):
    moment = START + timedelta(minutes=5)

    assert webinars_advance_status(now=moment) == ([webinar.pk], [])
    assert webinars_advance_status(now=moment) == ([], [])


def test_a_webinar_whose_whole_slot_passed_unseen_goes_straight_to_finished(webinar):
    assert status_at(webinar, START + timedelta(days=1)) == Status.FINISHED
    assert not AuditEntry.objects.filter(action="webinars.webinar.live").exists()


def test_cancelled_and_draft_webinars_are_left_alone(make_webinar):
    with time_machine.travel(START - timedelta(days=1), tick=False):
        cancelled = make_webinar(title="Cancelado")
        webinar_cancel(webinar=cancelled)
        draft = make_webinar(title="Borrador", schedule=False)

    assert webinars_advance_status(now=START + timedelta(minutes=5)) == ([], [])
    cancelled.refresh_from_db()
    draft.refresh_from_db()
    assert (cancelled.status, draft.status) == (Status.CANCELLED, Status.DRAFT)
