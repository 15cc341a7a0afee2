"""Staff pages say how long the server took; nobody else's do."""

import re

import pytest
from django.contrib.auth.models import Permission

pytestmark = pytest.mark.django_db
TIMING = re.compile(r"^app;dur=(\d+\.\d), cpu;dur=(\d+\.\d)$")


def test_a_staff_page_carries_its_wall_and_cpu_time(client, django_user_model):
    staff = django_user_model.objects.create_user("ana", password="x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_ticket"))
    client.force_login(staff)

    response = client.get("/admin/support/ticket/")

    wall, cpu = map(float, TIMING.match(response["Server-Timing"]).groups())
    assert wall > 0
    assert cpu > 0


def test_anonymous_visitors_and_students_get_no_timing(client):
    assert "Server-Timing" not in client.get("/admin/login/")
    assert "Server-Timing" not in client.get("/health/")
