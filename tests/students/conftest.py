"""Fixtures shared by the students tests: the demo plans and a student factory."""

from decimal import Decimal

import factory
import pytest

from students.models import Plan, Student


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Student

    full_name = factory.Sequence(lambda n: f"Alumna {n}")
    email = factory.Sequence(lambda n: f"alumna{n}@example.com")
    plan = factory.LazyFunction(lambda: Plan.objects.order_by("sort_order").first())
    source = Student.Source.API
    time_zone = "America/Mexico_City"
    country = "MX"


@pytest.fixture
def plans(db):
    """basico < premium < vip, as in the demo data."""
    return {
        slug: Plan.objects.create(
            slug=slug, name=name, price=Decimal(price), sort_order=order, currency="USD"
        )
        for slug, name, price, order in (
            ("basico", "Básico", "49", 1),
            ("premium", "Premium", "149", 2),
            ("vip", "VIP", "399", 3),
        )
    }


@pytest.fixture
def student_factory(plans):
    return StudentFactory
