"""The welcome draft names the student's plan and opens their access: re-checked on
approval, it is withdrawn once the plan changed or the access ended."""

import pytest

from courseops.messaging.models import OutboundMessage
from courseops.reviews.models import DraftStatus
from courseops.reviews.services import DraftWithdrawn, approve_draft
from students.models import Plan, Student
from students.onboarding.welcome import draft_welcome_email

pytestmark = pytest.mark.django_db


def test_a_welcome_for_a_plan_the_student_no_longer_has_is_withdrawn(student, staff_user):
    draft, _created = draft_welcome_email(student=student)
    student.plan = Plan.objects.create(slug="vip", name="VIP", price=199)
    student.save(update_fields=["plan"])

    with pytest.raises(DraftWithdrawn, match="ahora VIP"):
        approve_draft(draft=draft, user=staff_user)

    draft.refresh_from_db()
    assert draft.status == DraftStatus.WITHDRAWN
    assert not OutboundMessage.objects.exists()


def test_a_welcome_for_a_student_without_access_is_withdrawn(student, staff_user):
    draft, _created = draft_welcome_email(student=student)
    Student.objects.filter(pk=student.pk).update(status=Student.Status.INACTIVE)

    with pytest.raises(DraftWithdrawn, match="ya no tiene acceso"):
        approve_draft(draft=draft, user=staff_user)
