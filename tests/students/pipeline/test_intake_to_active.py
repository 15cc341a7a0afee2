"""The contract with intake: a registration through its service ends as an active student."""

import pytest

from courseops.reviews.models import Draft
from courseops.support.models import Ticket
from students.intake.services import register_student
from students.models import Student

pytestmark = pytest.mark.django_db


def test_a_registration_through_the_intake_service_becomes_an_active_student(
    plan, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = register_student(
            data={
                "email": "Nuevo@Example.com",
                "full_name": "Nuevo Alumno",
                "plan": "premium",
                "interests": ["agentes"],
                "consent": True,
                "country": "ES",
            },
            source="api",
        )

    assert result.errors == {}
    student = Student.objects.get(pk=result.student.pk)
    assert student.status == Student.Status.ACTIVE
    assert student.materials.count() == 2
    assert Draft.objects.get(kind="welcome_email").target == student
    assert Ticket.objects.get(kind="welcome_call").target == student
