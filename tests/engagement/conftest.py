"""Actors of the engagement tests: a plan, students in Mexico City, and the content app's
lessons of a course the plan includes."""

from datetime import UTC, datetime

import pytest

from content.models import Course, Lesson
from students.models import Plan, Student

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
def course(plan):
    course = Course.objects.create(title="IA aplicada", slug="ia-aplicada")
    course.plans.add(plan)
    return course


@pytest.fixture
def make_lesson(course):
    """A published lesson of the plan's course (as content's `publish_lesson` leaves it)."""
    counter = {"n": 0}

    def make(title="Lección 1", **fields):
        counter["n"] += 1
        fields.setdefault("published_at", NOW)
        return Lesson.objects.create(course=course, order=counter["n"], title=title, **fields)

    return make
