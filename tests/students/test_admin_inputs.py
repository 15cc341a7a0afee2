"""Staff edit a student with real inputs: the country and the time zone picked by name,
the phone with its country, interests as tags; what is stored stays as before."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from students.admin.forms import StudentForm
from students.models import Student

pytestmark = pytest.mark.django_db


@pytest.fixture
def support_staff(django_user_model):
    """Support: may see and edit students, nothing else."""
    user = django_user_model.objects.create_user(username="sofia", password="x", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_student", "change_student"])
    )
    return user


def _form_data(student, **changes):
    data = {
        "full_name": student.full_name,
        "email": student.email,
        "phone_0": "",
        "phone_1": "",
        "country": student.country,
        "time_zone": student.time_zone,
        "language": student.language,
        "plan": student.plan_id,
        "status": student.status,
        "source": student.source,
        "interests": list(student.interests),
        "stripe_customer_id": "",
        "onboarding_steps-TOTAL_FORMS": 0,
        "onboarding_steps-INITIAL_FORMS": 0,
        "onboarding_steps-MIN_NUM_FORMS": 0,
        "onboarding_steps-MAX_NUM_FORMS": 1000,
    }
    data.update(changes)
    return data


def test_the_student_form_offers_names_not_codes(client, support_staff, student_factory):
    student = student_factory(phone="+34600123456", country="ES", time_zone="Europe/Madrid")
    client.force_login(support_staff)

    page = client.get(reverse("admin:students_student_change", args=[student.pk])).content.decode()

    assert '<option value="ES" selected>España</option>' in page
    assert '<optgroup label="Europa">' in page
    assert '<option value="Europe/Madrid" selected>Hora de España (Madrid)</option>' in page
    # The phone is split in its country and its national number.
    assert '<option value="ES" selected>España +34</option>' in page
    assert 'value="600123456"' in page
    assert "E.164" not in page
    assert "ISO 3166" not in page


def test_support_saves_a_phone_typed_as_people_say_it_and_interests_as_tags(
    client, support_staff, student_factory
):
    student = student_factory(interests=["LLMs"])
    client.force_login(support_staff)

    response = client.post(
        reverse("admin:students_student_change", args=[student.pk]),
        _form_data(
            student,
            phone_0="ES",
            phone_1="600 12 34 56",
            country="ES",
            time_zone="Atlantic/Canary",
            interests=["LLMs", "automatización", " llms "],
        ),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    student.refresh_from_db()
    assert student.phone == "+34600123456"
    assert student.country == "ES"
    assert student.time_zone == "Atlantic/Canary"
    assert student.interests == ["LLMs", "automatización"]


def test_a_wrong_number_or_zone_is_a_form_error_in_spanish(student_factory):
    student = student_factory()
    form = StudentForm(
        data=_form_data(student, phone_0="ES", phone_1="123", time_zone="Mars/Olympus"),
        instance=student,
    )

    assert not form.is_valid()
    error = " ".join(form.errors["phone"][0].split())
    assert "número de teléfono válido (ej.: 810 12 34 56)" in error
    assert "time_zone" in form.errors


def test_an_empty_phone_stays_empty_and_an_alias_zone_stays_valid(student_factory):
    student = student_factory(phone="+525512345678", time_zone="America/Buenos_Aires")
    form = StudentForm(
        data=_form_data(student, phone_0="MX", phone_1="", interests=[]), instance=student
    )

    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == ""
    assert form.cleaned_data["time_zone"] == "America/Buenos_Aires"
    select = str(StudentForm(instance=student)["time_zone"])
    assert 'value="America/Buenos_Aires" selected' in select


def test_a_viewer_without_change_permission_cannot_save(client, django_user_model, student_factory):
    viewer = django_user_model.objects.create_user(username="v", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_student"))
    student = student_factory()
    client.force_login(viewer)

    response = client.post(
        reverse("admin:students_student_change", args=[student.pk]),
        _form_data(student, phone_0="ES", phone_1="600123456"),
    )

    assert response.status_code == 403
    assert Student.objects.get(pk=student.pk).phone == ""


def test_an_old_invalid_phone_is_shown_as_stored_and_must_be_fixed_not_lost(student_factory):
    student = student_factory(phone="12345")

    shown = str(StudentForm(instance=student)["phone"])
    form = StudentForm(data=_form_data(student, phone_0="", phone_1="12345"), instance=student)

    assert 'value="12345"' in shown
    assert not form.is_valid()
    assert "phone" in form.errors
    assert Student.objects.get(pk=student.pk).phone == "12345"
