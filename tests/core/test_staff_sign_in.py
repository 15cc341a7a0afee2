"""Staff sign-in: lockout after repeated failures per username and per address (django-axes)
and TOTP two-factor for the accounts that can do everything (django-otp)."""

import re
from base64 import b32encode
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"


def attempt(client, username, password, address="203.0.113.5"):
    return client.post(
        f"{LOGIN}?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def code(device, at=None):
    device.refresh_from_db()
    when = (at or timezone.now()).timestamp()
    with time_machine.travel(when, tick=False):
        return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


@pytest.fixture
def support_user(django_user_model):
    user = django_user_model.objects.create_user(
        username="sara", password="pw-sara-1234", is_staff=True
    )
    user.groups.add(Group.objects.get(name="support"))
    return user


def test_five_wrong_passwords_lock_the_username_even_with_the_right_one_after(
    client, staff_user, settings
):
    settings.STAFF_LOCKOUT_FAILURES = settings.AXES_FAILURE_LIMIT = 5
    for _ in range(4):
        assert attempt(client, "ana", "wrong").status_code == 200
    locked = attempt(client, "ana", "wrong")
    assert locked.status_code == 429

    # From another address, with the right password: still refused, with the reason.
    response = attempt(Client(), "ana", "pw-ana-1234", address="198.51.100.9")
    assert response.status_code == 429
    assert "Demasiados intentos fallidos" in response.content.decode()
    assert "15 minutos" in response.content.decode()
    assert "_auth_user_id" not in response.wsgi_request.session

    # The lock ends after the cool-off.
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert attempt(Client(), "ana", "pw-ana-1234").status_code == 302


def test_failures_from_one_address_lock_that_address_for_every_username(
    client, staff_user, support_user
):
    for name in ("x1", "x2", "x3", "x4", "x5"):
        attempt(client, name, "wrong", address="192.0.2.7")

    assert attempt(Client(), "sara", "pw-sara-1234", address="192.0.2.7").status_code == 429
    assert attempt(Client(), "sara", "pw-sara-1234", address="192.0.2.8").status_code == 302


def test_a_credential_check_without_a_request_is_not_an_attempt(client, staff_user):
    assert client.login(username="ana", password="pw-ana-1234")


def test_an_admin_enrols_an_authenticator_then_is_asked_for_its_code_at_every_sign_in(
    client, staff_user, settings
):
    settings.STAFF_2FA_REQUIRED = True
    response = attempt(client, "ana", "pw-ana-1234")
    assert response.status_code == 302

    # Until enrolled, every admin page leads to the enrolment page, and the session is no
    # staff session for the API.
    held = client.get("/admin/students/student/")
    assert held.status_code == 302
    assert held["Location"].startswith("/admin/2fa/alta/?next=")
    assert client.get("/api/v1/me/").status_code in (401, 403)

    page = client.get(held["Location"]).content.decode()
    device = TOTPDevice.objects.get(user=staff_user, confirmed=False)
    assert re.search(r"<svg[^>]*>", page)
    secret = re.search(r'id="otp-secret">([A-Z2-7]+)<', page)[1]
    assert secret == b32encode(device.bin_key).decode()
    assert "otpauth://totp/CourseOps" in page

    assert "incorrecto" in client.post(held["Location"], {"token": "000000"}).content.decode()
    # A wrong code slows the device down (django-otp's throttle: 1 s, then doubling).
    with time_machine.travel(timezone.now() + timedelta(seconds=2)):
        done = client.post(held["Location"], {"token": code(device)})
    assert done.status_code == 302
    assert done["Location"] == "/admin/students/student/"
    assert client.get("/admin/students/student/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200
    # Once confirmed the key is never shown again.
    assert "otp-secret" not in client.get("/admin/2fa/alta/", follow=True).content.decode()

    # The next sign-in asks for the code.
    later = timezone.now() + timedelta(minutes=2)  # a new time step: codes are single-use
    with time_machine.travel(later):
        again = Client()
        attempt(again, "ana", "pw-ana-1234")
        held = again.get("/admin/")
        assert held["Location"].startswith("/admin/2fa/verificar/")
        # With only the password, no second device can be added.
        assert again.get("/admin/2fa/alta/")["Location"].startswith("/admin/2fa/verificar/")
        assert again.post(held["Location"], {"token": code(device, later)})["Location"] == (
            "/admin/"
        )
        assert again.get("/admin/").status_code == 200


def test_staff_outside_the_admin_role_are_not_asked_unless_they_enrolled(
    client, support_user, settings
):
    settings.STAFF_2FA_REQUIRED = True
    attempt(client, "sara", "pw-sara-1234")
    assert client.get("/admin/").status_code == 200


def test_two_factor_is_off_by_default_outside_production(client, staff_user):
    attempt(client, "ana", "pw-ana-1234")
    assert client.get("/admin/").status_code == 200


def test_the_admin_never_shows_an_enrolled_devices_key(client, staff_user):
    device = TOTPDevice.objects.create(user=staff_user, name="CourseOps", confirmed=True)
    client.force_login(staff_user)
    client.post("/admin/2fa/verificar/", {"token": code(device)})

    page = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").content.decode()

    assert page.count("<form") >= 1
    assert device.key not in page
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/").status_code == 403


def test_every_action_on_the_sign_in_records_declares_its_permissions(rf, client, staff_user):
    from django.contrib import admin

    client.force_login(staff_user)
    attempt(Client(), "ana", "wrong")
    assert "ana" in client.get("/admin/axes/accessattempt/").content.decode()

    request = rf.get("/admin/")
    request.user = staff_user
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in ("axes", "otp_totp"):
            for func, name, _description in model_admin._get_base_actions():
                if name != "delete_selected":
                    assert getattr(func, "allowed_permissions", None), (model, name)
