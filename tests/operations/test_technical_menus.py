"""Beat's solar and clocked schedules and DRF's raw tokens are for admins only, whatever
permissions another role has; the schedules staff do use stay where their role allows."""

import pytest
from django.contrib.auth.models import Group, Permission

from courseops.operations.roles import ROLES

pytestmark = pytest.mark.django_db

TECHNICAL = (
    "/admin/django_celery_beat/solarschedule/",
    "/admin/django_celery_beat/clockedschedule/",
    "/admin/authtoken/tokenproxy/",
)


def _user(django_user_model, client, role, *, grant_everything=False):
    user = django_user_model.objects.create_user(username=role, password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    if grant_everything:  # a permission granted by hand still does not open them
        user.user_permissions.add(
            *Permission.objects.filter(
                content_type__app_label__in=["django_celery_beat", "authtoken"]
            )
        )
    client.force_login(user)
    return user


@pytest.mark.parametrize("role", sorted(ROLES))
def test_technical_menus_open_for_the_admin_role_only(client, django_user_model, role):
    _user(django_user_model, client, role, grant_everything=True)
    index = client.get("/admin/").content.decode()
    for url in TECHNICAL:
        status = client.get(url).status_code
        if role == "admin":
            assert status == 200, (role, url)
            assert url in index
        else:
            assert status == 403, (role, url, status)
            assert url not in index, (role, url)
    intervals = client.get("/admin/django_celery_beat/intervalschedule/").status_code
    assert intervals == 200  # the schedules CourseOps uses stay for whoever may see them


def test_a_superuser_sees_the_technical_menus(admin_client):
    for url in TECHNICAL:
        assert admin_client.get(url).status_code == 200
