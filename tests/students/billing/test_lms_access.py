"""The LMS follows access: a Stripe cancellation that ends a student's access unenrolls
them from the LMS (Teachable faked with respx at httpx's transport; Stripe is the local
fake server of conftest), and a renewed subscription enrolls them again."""

import json

import pytest
import respx

from students.models import Material, OnboardingStep, Student
from tests.conftest import lost_broker
from tests.students.billing.conftest import event

pytestmark = pytest.mark.django_db
API = "https://developers.teachable.test/v1"


@pytest.fixture
def teachable(settings, lucia, plans):
    settings.LMS_BACKEND = "teachable"
    settings.TEACHABLE_API_KEY = "tch-secret"
    settings.TEACHABLE_SCHOOL_URL = "https://escuela-ia.teachable.com"
    settings.TEACHABLE_API_BASE_URL = API
    plans["basico"].materials.add(
        Material.objects.create(title="Curso de IA", kind="course", lms_course_id="101")
    )
    Student.objects.filter(pk=lucia.pk).update(stripe_customer_id="cus_1", lms_user_id="77")
    OnboardingStep.objects.create(
        student=lucia, name=OnboardingStep.Name.ACCOUNT, status=OnboardingStep.Status.DONE
    )
    with respx.mock(assert_all_called=False) as mock:
        mock.route(host="127.0.0.1").pass_through()  # the fake Stripe
        yield mock


def user_with_course(active):
    course = {"course_id": 101, "course_name": "Curso de IA", "is_active_enrollment": active}
    return {"id": 77, "email": "lucia@example.com", "courses": [course]}


def test_a_cancelled_subscription_unenrolls_and_a_new_one_enrolls_again(
    fake_stripe, teachable, deliver
):
    deliver(event("customer.subscription.created", fake_stripe.set_subscription()))
    teachable.get(f"{API}/users/77").respond(200, json=user_with_course(True))
    unenroll = teachable.post(f"{API}/unenroll").respond(204)

    deliver(event("customer.subscription.deleted", fake_stripe.set_subscription(status="canceled")))

    assert Student.objects.get().status == Student.Status.INACTIVE
    assert json.loads(unenroll.calls.last.request.content) == {"user_id": 77, "course_id": 101}

    teachable.get(f"{API}/users/77").respond(200, json=user_with_course(False))
    enroll = teachable.post(f"{API}/enroll").respond(204)

    deliver(event("customer.subscription.created", fake_stripe.set_subscription(id="sub_2")))

    assert Student.objects.get().status == Student.Status.ACTIVE
    assert enroll.call_count == 1
    assert unenroll.call_count == 1


def test_a_renewal_event_for_a_student_with_access_touches_no_lms(fake_stripe, teachable, deliver):
    deliver(event("customer.subscription.created", fake_stripe.set_subscription()))
    calls = teachable.route(host="developers.teachable.test")

    deliver(event("customer.subscription.updated", fake_stripe.set_subscription()))

    assert not calls.called


def test_a_cancellation_whose_task_was_lost_still_unenrolls_when_the_sweeper_runs(
    fake_stripe, teachable, deliver, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from students.billing.services import sync_subscription
    from students.services import sync_due_lms_access

    deliver(event("customer.subscription.created", fake_stripe.set_subscription()))
    teachable.get(f"{API}/users/77").respond(200, json=user_with_course(True))
    unenroll = teachable.post(f"{API}/unenroll").respond(204)
    fake_stripe.set_subscription(status="canceled")

    # The broker is down: the task asked for on commit is lost.
    with lost_broker(), django_capture_on_commit_callbacks(execute=True):
        sync_subscription(subscription_id="sub_1")
    student = Student.objects.get()
    assert student.status == Student.Status.INACTIVE
    assert not unenroll.called
    assert student.lms_access_due_since is not None

    assert sync_due_lms_access() == 0  # within the grace the lost task is not presumed lost
    with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=False):
        assert sync_due_lms_access() == 1

    assert json.loads(unenroll.calls.last.request.content) == {"user_id": 77, "course_id": 101}
    assert Student.objects.get().lms_access_due_since is None
    assert sync_due_lms_access() == 0


def _owing_an_lms_sync(student):
    from courseops.core import pending

    Student.objects.filter(pk=student.pk).update(status=Student.Status.INACTIVE)
    pending.mark(Student.objects.filter(pk=student.pk), "lms_access_due_since")
    return Student.objects.get(pk=student.pk)


def test_an_lms_that_refuses_for_good_is_not_tried_again_and_staff_see_why(teachable, lucia):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from courseops.audit.models import AuditEntry
    from students.onboarding.lms import LMSError
    from students.services import sync_due_lms_access, sync_lms_access

    teachable.get(f"{API}/users/77").respond(403, json={"error": "API key revoked"})

    with pytest.raises(LMSError):
        sync_lms_access(student=_owing_an_lms_sync(lucia))

    assert Student.objects.get().lms_access_due_since is None
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        assert sync_due_lms_access() == 0
    [entry] = AuditEntry.objects.filter(action="students.student.pending_failed")
    assert entry.data["permanent"] is True
    assert "403" in entry.data["error"]
    assert entry.data["work"] == "acceso al LMS por sincronizar desde"


def test_an_lms_that_keeps_failing_is_tried_again_later_and_later(teachable, lucia, monkeypatch):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from courseops.audit.models import AuditEntry
    from students.onboarding.lms import LMSError
    from students.services import sync_due_lms_access, sync_lms_access

    monkeypatch.setattr("students.onboarding.lms.calls.BACKOFF_SECONDS", 0)
    teachable.get(f"{API}/users/77").respond(503)
    student = _owing_an_lms_sync(lucia)
    start = timezone.now()
    for _failure in range(3):
        with pytest.raises(LMSError):
            sync_lms_access(student=Student.objects.get(pk=student.pk))

    student = Student.objects.get()
    assert student.lms_access_due_attempts == 3
    # 2^3 minutes after the third failure, not the sweeper's flat grace.
    with time_machine.travel(start + timedelta(minutes=7), tick=False):
        assert sync_due_lms_access() == 0
    teachable.get(f"{API}/users/77").respond(200, json=user_with_course(True))
    teachable.post(f"{API}/unenroll").respond(204)
    with time_machine.travel(start + timedelta(minutes=9), tick=False):
        assert sync_due_lms_access() == 1
    student = Student.objects.get()
    assert student.lms_access_due_since is None
    assert student.lms_access_due_attempts == 0  # the admin shows no failures left over
    entries = AuditEntry.objects.filter(action="students.student.pending_failed")
    assert sorted(entry.data["attempts"] for entry in entries) == [1, 2, 3]
    assert not any(entry.data["permanent"] for entry in entries)


def test_a_student_deactivated_by_staff_while_the_broker_is_down_is_unenrolled_by_the_sweeper(
    fake_stripe, teachable, deliver, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from students.services import deactivate_student, sync_due_lms_access

    deliver(event("customer.subscription.created", fake_stripe.set_subscription()))
    teachable.get(f"{API}/users/77").respond(200, json=user_with_course(True))
    unenroll = teachable.post(f"{API}/unenroll").respond(204)
    student = Student.objects.get()

    with lost_broker(), django_capture_on_commit_callbacks(execute=True):
        assert deactivate_student(student=student)
    assert student.status == Student.Status.INACTIVE
    assert not unenroll.called
    assert student.lms_access_due_since is not None

    assert sync_due_lms_access() == 0  # within the grace the task is not presumed lost
    with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=False):
        assert sync_due_lms_access() == 1

    assert unenroll.call_count == 1
    assert json.loads(unenroll.calls.last.request.content) == {"user_id": 77, "course_id": 101}
    assert Student.objects.get().lms_access_due_since is None
    assert sync_due_lms_access() == 0
