"""Beat's solar and clocked schedules, DRF's raw tokens, the sign-in records and two-step
devices are for admins only, whatever permissions another role has, in one sidebar group
with Spanish names; the schedules staff do use stay where their role allows."""

import pytest
from django.contrib.auth.models import Group, Permission

from courseops.operations.roles import ROLES

pytestmark = pytest.mark.django_db

TECHNICAL = (
    "/admin/django_celery_beat/solarschedule/",
    "/admin/django_celery_beat/clockedschedule/",
    "/admin/authtoken/tokenproxy/",
    "/admin/axes/accessattempt/",
    "/admin/otp_totp/totpdevice/",
)


def _user(django_user_model, client, role, *, grant_everything=False):
    user = django_user_model.objects.create_user(username=role, password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    if grant_everything:  # a permission granted by hand still does not open them
        user.user_permissions.add(
            *Permission.objects.filter(
                content_type__app_label__in=["django_celery_beat", "authtoken", "axes", "otp_totp"]
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
    assert ("Técnico (administración)" in index) == (role == "admin")
    intervals = client.get("/admin/django_celery_beat/intervalschedule/").status_code
    assert intervals == 200  # the schedules CourseOps uses stay for whoever may see them


def test_a_superuser_sees_the_technical_menus(admin_client):
    for url in TECHNICAL:
        assert admin_client.get(url).status_code == 200


def test_no_app_or_model_reads_as_code_in_the_sidebar(admin_client):
    index = admin_client.get("/admin/").content.decode()

    for raw in ("Otp_Totp", "TOTP devices", "Axes", "Crontabs", "Cronometrado"):
        assert raw not in index, raw
    for spanish in (
        "Verificación en dos pasos",
        "Apps de verificación (TOTP)",
        "Tareas programadas",
        "Horarios (cron)",
        "Técnico (administración)",
    ):
        assert spanish in index, spanish


def test_the_two_step_devices_pages_read_in_spanish(admin_client):
    for url in ("/admin/otp_totp/totpdevice/", "/admin/otp_totp/totpdevice/add/"):
        page = admin_client.get(url).content.decode()
        assert "TOTP device" not in page, url
        assert "app de verificación (totp)" in page.lower(), url
