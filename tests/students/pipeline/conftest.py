import pytest

from students.models import Material, Plan, Student


@pytest.fixture
def plan():
    plan = Plan.objects.create(slug="premium", name="Premium", price=99)
    plan.materials.add(
        Material.objects.create(title="Curso de IA", kind="course", lms_course_id="101"),
        Material.objects.create(title="Guía de prompts", kind="document", url="https://x.test/g"),
    )
    return plan


@pytest.fixture
def make_student(plan):
    def make(**fields):
        defaults = {
            "full_name": "Lucía Fernández",
            "email": "lucia@example.com",
            "plan": plan,
            "source": Student.Source.API,
            "interests": ["LLMs", "visión artificial"],
        }
        return Student.objects.create(**{**defaults, **fields})

    return make


@pytest.fixture
def student(make_student):
    return make_student()
