"""A row's marks (work it owes, courseops/core/pending.py) are written only by the change
that makes the work due and by the work: a plain `save()` of an instance loaded before
either leaves them as they are in the database."""

import pytest
from django.apps import apps
from django.utils import timezone

from courseops.core import pending
from courseops.core.models import MarkedModel, mark_fields
from students.models import Plan, Student

pytestmark = pytest.mark.django_db


@pytest.fixture
def lucia():
    plan = Plan.objects.create(slug="premium", name="Premium", price=99)
    return Student.objects.create(
        full_name="Lucía Fernández", email="lucia@example.com", plan=plan, source="api"
    )


def test_every_model_with_a_mark_leaves_it_to_its_work():
    marked = [model for model in apps.get_models() if mark_fields(model)]

    assert Student in marked
    assert len(marked) >= 10
    assert [model for model in marked if not issubclass(model, MarkedModel)] == []


def test_saving_an_instance_loaded_before_a_mark_keeps_the_mark(lucia):
    loaded_by_staff = Student.objects.get(pk=lucia.pk)
    pending.mark(Student.objects.filter(pk=lucia.pk), "lms_access_due_since")  # a task, meanwhile

    loaded_by_staff.full_name = "Lucía Fernández Ruiz"
    loaded_by_staff.save()

    stored = Student.objects.get(pk=lucia.pk)
    assert stored.full_name == "Lucía Fernández Ruiz"
    assert stored.lms_access_due_since is not None  # the LMS sync still owed


def test_saving_an_instance_loaded_before_a_failure_keeps_the_count(lucia):
    pending.mark(Student.objects.filter(pk=lucia.pk), "lms_access_due_since")
    loaded_by_staff = Student.objects.get(pk=lucia.pk)
    worker = Student.objects.get(pk=lucia.pk)
    pending.failed(
        worker, "lms_access_due_since", worker.lms_access_due_since, error="503", permanent=False
    )

    retry_at = Student.objects.get(pk=lucia.pk).lms_access_due_since  # moved by the failure

    loaded_by_staff.save()

    stored = Student.objects.get(pk=lucia.pk)
    assert stored.lms_access_due_attempts == 1
    assert stored.lms_access_due_since == retry_at != loaded_by_staff.lms_access_due_since


def test_a_new_row_and_an_explicit_update_fields_still_write_the_mark(lucia):
    now = timezone.now()
    lucia.lms_access_due_since = now
    lucia.save(update_fields=["lms_access_due_since"])
    plan = lucia.plan
    marked_at_birth = Student.objects.create(
        full_name="Ana", email="ana@example.com", plan=plan, source="api", lms_access_due_since=now
    )

    assert Student.objects.get(pk=lucia.pk).lms_access_due_since == now
    assert Student.objects.get(pk=marked_at_birth.pk).lms_access_due_since == now


def test_a_deferred_field_is_not_written_back(lucia):
    partial = Student.objects.only("pk", "full_name").get(pk=lucia.pk)
    Student.objects.filter(pk=lucia.pk).update(email="nueva@example.com")

    partial.full_name = "Lucía F."
    partial.save()

    stored = Student.objects.get(pk=lucia.pk)
    assert (stored.full_name, stored.email) == ("Lucía F.", "nueva@example.com")
