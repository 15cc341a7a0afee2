"""One person, one contact: whatever door, whatever case, linked to the student."""

import pytest

from courseops.audit.models import AuditEntry
from marketing.models import Lead, Stage
from marketing.services.leads import capture_lead

pytestmark = pytest.mark.django_db


def test_the_same_email_in_another_case_updates_the_contact_instead_of_copying_it(subscribe):
    first = subscribe(
        {"email": "Ana@Example.com", "name": "Ana", "tags": "feria", "utm_source": "ig"},
        stage=Stage.SUBSCRIBER,
    )
    again = subscribe(
        {
            "email": "ana@example.COM",
            "name": "Otra Ana",
            "phone": "+34 600 111 222",
            "interests": "IA, ventas",
            "tags": "vip",
            "utm_source": "newsletter",
        },
        source="csv",
    )

    assert again.pk == first.pk
    assert Lead.objects.count() == 1
    assert again.email == "ana@example.com"
    assert again.name == "Ana"  # never overwritten
    assert again.phone == "+34600111222"  # filled while empty
    assert again.stage == Stage.LEAD  # moved forward
    assert (again.first_source, again.first_utm) == ("api", {"utm_source": "ig"})
    assert (again.last_source, again.last_utm) == ("csv", {"utm_source": "newsletter"})
    assert sorted(again.tags.values_list("name", flat=True)) == ["feria", "vip"]
    assert sorted(again.interests.values_list("name", flat=True)) == ["IA", "ventas"]


def test_a_stage_never_moves_back(subscribe):
    lead = subscribe({"email": "ana@example.com"}, stage=Stage.WEBINAR_REGISTRANT)
    lead = subscribe({"email": "ana@example.com"}, stage=Stage.SUBSCRIBER)

    assert lead.stage == Stage.WEBINAR_REGISTRANT


def test_a_contact_whose_email_is_a_students_is_linked_to_them(subscribe, student):
    lead = subscribe({"email": "lucia@example.com"})

    assert lead.student == student
    assert lead.stage == Stage.CUSTOMER
    assert (lead.name, lead.phone, lead.time_zone) == (
        "Lucía Pérez",
        "+525512345678",
        "America/Bogota",
    )


def test_a_contact_who_becomes_a_student_is_linked_not_duplicated(subscribe, plan):
    from students.models import Student

    lead = subscribe({"email": "lucia@example.com"})
    student = Student.objects.create(
        full_name="Lucía", email="LUCIA@example.com", plan=plan, source=Student.Source.API
    )

    lead.refresh_from_db()
    assert Lead.objects.count() == 1
    assert (lead.student, lead.stage) == (student, Stage.CUSTOMER)
    assert AuditEntry.objects.filter(action="marketing.lead.linked_to_student").exists()


def test_bad_input_is_reported_per_field_and_stores_nothing():
    result = capture_lead(
        data={"email": "ana@gmial.com", "phone": "123", "time_zone": "Marte/Base"}, source="api"
    )

    assert result.lead is None
    assert set(result.errors) == {"email", "phone", "time_zone"}
    assert "gmail.com" in result.errors["email"][0]
    assert not Lead.objects.exists()


def test_staff_editing_an_email_in_the_admin_store_it_lowercased(client, staff_user):
    lead = Lead.objects.create(email="ana@example.com", first_source="api", last_source="api")
    client.force_login(staff_user)

    response = client.post(
        f"/admin/marketing/lead/{lead.pk}/change/",
        {
            "email": "Ana.Nueva@Example.com",
            "language": "es",
            "time_zone": "America/Mexico_City",
            "stage": "lead",
            "consents-TOTAL_FORMS": "0",
            "consents-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content.decode()[-2000:]
    lead.refresh_from_db()
    assert lead.email == "ana.nueva@example.com"
