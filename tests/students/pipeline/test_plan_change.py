"""A plan change from any door gives the new plan's materials, webinars and LMS courses;
a downgrade through a registration door is not applied, and says so."""

from datetime import timedelta

import pytest
from django.utils import timezone

from courseops.audit.models import AuditEntry
from students.intake.services import register_student
from students.models import Material, Student
from webinars.models import Registration
from webinars.services import webinar_create, webinar_schedule

REGISTRATION = {"email": "ana@example.com", "full_name": "Ana Ruiz", "consent": True}


@pytest.fixture
def catalogue(plans, django_capture_on_commit_callbacks):
    """Each plan with a material of its own; a webinar only for premium and vip."""
    for slug, plan in plans.items():
        plan.materials.add(Material.objects.create(title=f"Curso {slug}"))
    webinar = webinar_create(
        title="Masterclass premium",
        description="Solo planes de pago.",
        starts_at=timezone.now() + timedelta(days=5),
        time_zone="America/Mexico_City",
        is_public=False,
        plans=[plans["premium"], plans["vip"]],
    )
    with django_capture_on_commit_callbacks(execute=True):
        webinar_schedule(webinar=webinar)
    return plans


def titles(student):
    return sorted(student.materials.values_list("title", flat=True))


@pytest.mark.parametrize("door", ["api", "typeform", "csv"])
def test_an_upgrade_at_any_door_grants_the_new_plans_materials_and_webinars(
    catalogue, django_capture_on_commit_callbacks, door
):
    with django_capture_on_commit_callbacks(execute=True):
        register_student(data={**REGISTRATION, "plan": "basico"}, source=door, external_id="1")
    with django_capture_on_commit_callbacks(execute=True):
        register_student(data={**REGISTRATION, "plan": "premium"}, source=door, external_id="2")

    student = Student.objects.get()
    assert student.plan.slug == "premium"
    assert titles(student) == ["Curso basico", "Curso premium"]
    assert Registration.objects.filter(student=student, webinar__title__contains="premium")
    change = AuditEntry.objects.get(action="students.student.plan_changed")
    assert change.data["source"] == door


def test_a_downgrade_through_a_registration_door_is_not_applied_and_is_recorded(
    catalogue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        register_student(data={**REGISTRATION, "plan": "vip"}, source="api", external_id="1")
        register_student(data={**REGISTRATION, "plan": "basico"}, source="api", external_id="2")

    student = Student.objects.get()
    assert student.plan.slug == "vip"
    entry = AuditEntry.objects.get(action="students.student.downgrade_not_applied")
    assert (entry.data["from"], entry.data["asked"]) == ("vip", "basico")


def test_staff_changing_the_plan_in_the_admin_grants_the_new_plan_and_is_audited(
    client, staff_user, catalogue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        register_student(data={**REGISTRATION, "plan": "vip"}, source="api", external_id="1")
    student = Student.objects.get()
    client.force_login(staff_user)
    url = f"/admin/students/student/{student.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "interests"}
    data.update(
        {
            "plan": catalogue["premium"].pk,
            "interests": "[]",
            "onboarding_steps-TOTAL_FORMS": "0",
            "onboarding_steps-INITIAL_FORMS": "0",
        }
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    student.refresh_from_db()
    assert student.plan.slug == "premium"
    assert "Curso premium" in titles(student)
    assert AuditEntry.objects.get(action="students.student.plan_changed").actor == staff_user


def test_an_upgrade_whose_task_was_lost_is_granted_when_the_sweeper_runs(
    catalogue, django_capture_on_commit_callbacks
):
    import time_machine

    from students.services import grant_due_plans
    from tests.conftest import lost_broker

    with django_capture_on_commit_callbacks(execute=True):
        register_student(data={**REGISTRATION, "plan": "basico"}, source="api", external_id="1")
    # The broker is down when the upgrade asks for the new plan's access: that task is lost.
    with lost_broker(), django_capture_on_commit_callbacks(execute=True):
        register_student(data={**REGISTRATION, "plan": "premium"}, source="api", external_id="2")
    student = Student.objects.get()
    assert student.plan.slug == "premium"
    assert titles(student) == ["Curso basico"]
    assert student.plan_grant_due_since is not None

    assert grant_due_plans() == 0  # the task may still be on its way
    with (
        time_machine.travel(timezone.now() + timedelta(minutes=11), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert grant_due_plans() == 1

    assert titles(student) == ["Curso basico", "Curso premium"]
    assert Registration.objects.filter(student=student, webinar__title__contains="premium")
    assert Student.objects.get().plan_grant_due_since is None
