"""Scores from real actions, decaying; webinar registrants and attendees become contacts."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from marketing.models import Action, Activity, Consent, Lead, Stage
from marketing.services.scoring import rebuild_scores, record_action
from webinars.models import Registration
from webinars.services import registration_create, webinar_create, webinar_schedule
from webinars.signals import webinar_attended

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def webinar(db, django_capture_on_commit_callbacks):
    webinar = webinar_create(
        title="IA para tu negocio",
        starts_at=datetime(2026, 12, 10, 17, 0, tzinfo=UTC),
        time_zone="America/Mexico_City",
        is_public=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        return webinar_schedule(webinar=webinar)


def test_a_score_halves_every_half_life_and_an_action_counts_once(subscribe, settings):
    settings.MARKETING_SCORE_HALF_LIFE_DAYS = 30
    lead = subscribe({"email": "ana@example.com"})
    with time_machine.travel(T0, tick=False):
        record_action(lead=lead, action=Action.WEBINAR_ATTENDED, ref="w1")
        assert record_action(lead=lead, action=Action.WEBINAR_ATTENDED, ref="w1") is None
        lead.refresh_from_db()
        assert lead.score == 20
    with time_machine.travel(T0 + timedelta(days=30), tick=False):
        assert lead.score == 10
        record_action(lead=lead, action=Action.CLICKED, ref="campaign:1")
        lead.refresh_from_db()
        assert lead.score == 13


def test_rebuilding_scores_gives_the_same_figures_with_one_update(subscribe):
    lead = subscribe({"email": "ana@example.com"})
    other = subscribe({"email": "beto@example.com"})
    with time_machine.travel(T0, tick=False):
        record_action(lead=lead, action=Action.CHECKOUT_STARTED, ref="s1")
    with time_machine.travel(T0 + timedelta(days=10), tick=False):
        record_action(lead=lead, action=Action.VISITED_LANDING, ref="l1")
    lead.refresh_from_db()
    before = lead.score_points
    Lead.objects.update(score_points=0)

    assert rebuild_scores() == 2

    lead.refresh_from_db()
    other.refresh_from_db()
    assert lead.score_points == pytest.approx(before)
    assert other.score_points == 0


def test_a_webinar_registrant_becomes_a_scored_contact_without_marketing_consent(
    webinar, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        registration_create(
            webinar=webinar,
            email="Mateo@Example.com",
            name="Mateo Gómez",
            time_zone="America/Bogota",
            source=Registration.Source.PAGE,
        )

    lead = Lead.objects.get()
    assert (lead.email, lead.name, lead.time_zone) == (
        "mateo@example.com",
        "Mateo Gómez",
        "America/Bogota",
    )
    assert (lead.stage, lead.first_source) == (Stage.WEBINAR_REGISTRANT, "webinar")
    assert lead.score > 0
    assert not Consent.objects.exists()


def test_attending_scores_once_however_often_the_news_arrives(
    webinar, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        registration = registration_create(
            webinar=webinar, email="mateo@example.com", source=Registration.Source.PAGE
        )
    for _ in range(2):
        webinar_attended.send(
            sender=Registration,
            registration=registration,
            webinar=webinar,
            student=None,
            minutes=50,
        )

    assert list(Activity.objects.values_list("action", flat=True).order_by("action")) == [
        "webinar_attended",
        "webinar_registered",
    ]


def test_a_registrant_with_an_old_style_mexican_mobile_keeps_it_in_todays_numbering(
    webinar, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        registration_create(
            webinar=webinar,
            email="lucia@example.com",
            phone="+5215512345678",  # the old Mexican mobile prefix
            source=Registration.Source.PAGE,
        )

    lead = Lead.objects.get()
    assert (lead.email, lead.phone) == ("lucia@example.com", "+525512345678")
    assert Registration.objects.get().phone == "+525512345678"


def test_a_student_sign_in_is_a_human_signal_that_scores_nothing(subscribe, student):
    from students.signals import student_signed_in

    lead = subscribe({"email": "lucia@example.com"})
    student_signed_in.send(sender=None, student=student, at=T0, source="portal")

    activity = Activity.objects.get(lead=lead)
    assert (activity.action, activity.occurred_at, activity.points) == ("signed_in", T0, 0)
    lead.refresh_from_db()
    assert lead.score == 0
