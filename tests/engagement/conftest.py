"""Actors of the engagement tests: a plan, students in Mexico City, and stand-in lessons.

The content app's models are not on this branch: a lesson is any saved row sent with the
signal (a `students.Material` here), which is all engagement stores of it (its content
type and id)."""

from datetime import UTC, datetime

import pytest

from students.models import Material, Plan, Student

NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)  # 12:00 in Mexico City


@pytest.fixture
def plan(db):
    return Plan.objects.create(slug="pro", name="Pro")


@pytest.fixture
def make_student(plan):
    counter = {"n": 0}

    def make(**kwargs):
        counter["n"] += 1
        number = counter["n"]
        fields = {
            "full_name": f"Alumna {number} Pérez",
            "email": f"alumna{number}@example.com",
            "time_zone": "America/Mexico_City",
            "plan": plan,
            "status": Student.Status.ACTIVE,
            "source": Student.Source.API,
        }
        fields.update(kwargs)
        return Student.objects.create(**fields)

    return make


@pytest.fixture
def student(make_student):
    return make_student(full_name="Lucía Pérez", email="lucia@example.com")


@pytest.fixture
def make_lesson(db):
    def make(title="Lección 1"):
        return Material.objects.create(title=title, kind=Material.Kind.VIDEO)

    return make
