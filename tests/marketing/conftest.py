from datetime import UTC, datetime

import pytest
import time_machine

from marketing.models import LeadForm
from marketing.services.leads import capture_lead
from students.models import Plan, Student
from tests.ai.conftest import fake_openai  # noqa: F401  (the OpenAI SDK against a fake server)
from tests.students.billing.conftest import (  # noqa: F401  (Stripe's fake and events)
    deliver,
    fake_stripe,
    plans,
)

# 12:00 in Mexico City: outside the default quiet hours (21:00-09:00) for marketing.
NOON = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)


@pytest.fixture
def plan(db):
    return Plan.objects.create(slug="pro", name="Pro")


@pytest.fixture
def student(plan):
    return Student.objects.create(
        full_name="Lucía Pérez",
        email="Lucia@Example.com",
        phone="+525512345678",
        time_zone="America/Bogota",
        plan=plan,
        source=Student.Source.API,
    )


@pytest.fixture
def single_opt_in_form(db):
    return LeadForm.objects.create(slug="feria", name="Feria 2026", double_opt_in=False)


@pytest.fixture
def at_noon():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def subscribe(django_capture_on_commit_callbacks):
    """capture_lead, running what it leaves for after the commit (confirmation email)."""

    def run(data, **kwargs):
        kwargs.setdefault("source", "api")
        with django_capture_on_commit_callbacks(execute=True):
            result = capture_lead(data=data, **kwargs)
        assert not result.errors, result.errors
        result.lead.refresh_from_db()
        return result.lead

    return run


@pytest.fixture
def consented_lead(subscribe, single_opt_in_form):
    return subscribe(
        {
            "email": "ana@example.com",
            "name": "Ana",
            "consent": True,
            "phone": "+34600111222",
            "sms_consent": True,
        },
        form=single_opt_in_form,
    )
