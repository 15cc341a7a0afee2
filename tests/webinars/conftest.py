from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from students.models import Plan, Student
from webinars.models import Webinar
from webinars.services import webinar_create, webinar_schedule

START = datetime(2026, 12, 10, 17, 0, tzinfo=UTC)  # 11:00 in Mexico City


@pytest.fixture
def plan(db):
    return Plan.objects.create(slug="pro", name="Pro")


@pytest.fixture
def other_plan(db):
    return Plan.objects.create(slug="basico", name="Básico", includes_live_webinars=True)


@pytest.fixture
def student(plan):
    return Student.objects.create(
        full_name="Lucía Pérez",
        email="lucia@example.com",
        phone="+525512345678",
        time_zone="America/Mexico_City",
        plan=plan,
        source=Student.Source.API,
    )


@pytest.fixture
def make_webinar(db, django_capture_on_commit_callbacks):
    def make(*, schedule=True, plans=(), is_public=True, starts_at=START, **kwargs):
        webinar = webinar_create(
            title=kwargs.pop("title", "IA para tu negocio"),
            description=kwargs.pop("description", "Casos prácticos de IA."),
            starts_at=starts_at,
            time_zone=kwargs.pop("time_zone", "America/Mexico_City"),
            is_public=is_public,
            plans=plans,
            **kwargs,
        )
        if schedule:
            with django_capture_on_commit_callbacks(execute=True):
                webinar = webinar_schedule(webinar=webinar)
        return webinar

    return make


@pytest.fixture
def finished_webinar(make_webinar):
    """A webinar held two days after its creation, now finished (for its recording)."""
    with time_machine.travel(START - timedelta(days=2), tick=False):
        webinar = make_webinar(title="Agentes de IA")
    Webinar.objects.filter(pk=webinar.pk).update(status=Webinar.Status.FINISHED)
    webinar.refresh_from_db()
    return webinar
