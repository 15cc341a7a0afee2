"""Races decided by the database: only meaningful with real concurrent connections."""

import threading

import pytest
from django.db import connections

from students.intake.services import register_student
from students.models import IntakeRecord, Student

pytestmark = [
    pytest.mark.django_db(transaction=True),
]
THREADS = 8


def race(calls):
    """Run the calls at the same instant, each on its own connection; returns the results."""
    barrier = threading.Barrier(len(calls))
    results, errors = [], []

    def run(call):
        try:
            barrier.wait()
            results.append(call())
        except Exception as exc:  # reported below, so a failure shows its cause
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def test_simultaneous_deliveries_of_one_submission_make_one_student_and_one_record(
    plans, registration
):
    results = race(
        [
            lambda: register_student(data=registration, source="typeform", external_id="evt-1")
            for _ in range(THREADS)
        ]
    )

    assert Student.objects.count() == 1
    assert IntakeRecord.objects.count() == 1
    assert sum(r.created for r in results) == 1
    assert sum(r.replayed for r in results) == THREADS - 1


def test_simultaneous_registrations_of_one_person_from_different_doors_make_one_student(
    plans, registration
):
    results = race(
        [
            lambda i=i: register_student(
                data={
                    **registration,
                    "email": registration["email"].upper() if i % 2 else registration["email"],
                },
                source="api",
                external_id=f"key-{i}",
            )
            for i in range(THREADS)
        ]
    )

    assert Student.objects.count() == 1
    assert IntakeRecord.objects.count() == THREADS
    assert sum(r.created for r in results) == 1
    assert IntakeRecord.objects.filter(status="duplicate").count() == THREADS - 1
    assert {r.student.pk for r in results} == {Student.objects.get().pk}
