"""A contact's phone, country and time zone are picked as people say them."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from marketing.admin.leads import LeadChangeForm
from marketing.models import Lead

pytestmark = pytest.mark.django_db


def test_a_contact_phone_typed_with_its_country_is_stored_as_e164():
    lead = Lead.objects.create(email="ana@example.com", first_source="api", last_source="api")
    form = LeadChangeForm(
        data={
            "email": "Ana@Example.com",
            "phone_0": "MX",
            "phone_1": "55 1234 5678",
            "language": "es",
            "time_zone": "America/Mexico_City",
            "country": "MX",
            "stage": "lead",
        },
        instance=lead,
    )

    assert form.is_valid(), form.errors
    form.save()
    lead.refresh_from_db()
    assert (lead.phone, lead.country, lead.email) == ("+525512345678", "MX", "ana@example.com")


def test_marketing_staff_see_countries_and_zones_by_name(client, django_user_model):
    user = django_user_model.objects.create_user(username="m", password="x", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_lead", "change_lead"]))
    lead = Lead.objects.create(
        email="b@example.com",
        first_source="api",
        last_source="api",
        country="AR",
        time_zone="America/Argentina/Buenos_Aires",
    )
    client.force_login(user)

    page = client.get(reverse("admin:marketing_lead_change", args=[lead.pk])).content.decode()

    assert '<option value="AR" selected>Argentina</option>' in page
    assert "selected>Hora de Argentina (Buenos Aires)</option>" in page
