"""The portal's push opt-in: the page, the subscription its script sends, the service
worker. The browser side is tests/browser/test_push.py."""

import json

import pytest
from django.test import Client

from courseops.messaging.models import PushSubscription
from students.models import Student
from students.portal.services import SESSION_EMAIL_KEY, SESSION_KEY

pytestmark = pytest.mark.django_db
PAGE = "/portal/avisos/"
SUBSCRIPTION = "/portal/avisos/suscripcion/"


@pytest.fixture
def student(student_factory):
    return student_factory(email="sara@example.com", status=Student.Status.ACTIVE)


@pytest.fixture
def signed_in(portal_sign_in, student):
    return portal_sign_in(student)


def post(client, body, method="post"):
    return getattr(client, method)(
        SUBSCRIPTION, data=json.dumps(body), content_type="application/json"
    )


def test_the_page_offers_push_with_our_public_key_and_a_script_file(
    client, signed_in, push_service, settings
):
    response = client.get(PAGE)

    page = response.content.decode()
    assert f'data-public-key="{settings.WEBPUSH_VAPID_PUBLIC_KEY}"' in page
    assert "students/push.js" in page
    assert "<script>" not in page  # no inline script: the CSP would refuse it
    assert settings.WEBPUSH_VAPID_PRIVATE_KEY not in page


def test_without_vapid_keys_the_page_says_push_is_unavailable(client, signed_in, settings):
    settings.WEBPUSH_VAPID_PRIVATE_KEY = settings.WEBPUSH_VAPID_PUBLIC_KEY = ""

    page = client.get(PAGE).content.decode()

    assert "no están disponibles" in page
    assert "push.js" not in page


def test_a_signed_in_student_subscribes_this_browser(client, signed_in, push_service):
    browser = push_service.new_browser()

    response = post(client, browser.as_json())

    assert response.status_code == 201
    subscription = PushSubscription.objects.get()
    assert subscription.address == "sara@example.com"
    assert subscription.endpoint == browser.endpoint


def test_a_student_turns_push_off_for_this_browser(client, signed_in, push_service):
    browser = push_service.new_browser()
    post(client, browser.as_json())

    response = post(client, browser.as_json(), method="delete")

    assert response.json() == {"subscribed": False}
    assert not PushSubscription.objects.exists()


def test_nobody_signed_in_cannot_subscribe(client, push_service):
    response = post(client, push_service.new_browser().as_json())

    assert response.status_code == 403
    assert not PushSubscription.objects.exists()


def test_a_subscription_without_the_csrf_token_is_refused(student, push_service):
    client = Client(enforce_csrf_checks=True)
    session = client.session
    session[SESSION_KEY], session[SESSION_EMAIL_KEY] = student.pk, student.email
    session.save()

    response = post(client, push_service.new_browser().as_json())

    assert response.status_code == 403
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"endpoint": "https://attacker.example/collect", "keys": {"p256dh": "x", "auth": "y"}},
        {"endpoint": "https://fcm.googleapis.com/fcm/send/a"},
        ["not", "an", "object"],
    ],
)
def test_a_bad_subscription_gets_a_400(client, signed_in, push_service, body):
    response = post(client, body)

    assert response.status_code == 400
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize("method", ["post", "delete"])
@pytest.mark.parametrize(
    "body",
    [
        {"endpoint": 1, "keys": {"p256dh": "x", "auth": "y"}},
        {"endpoint": ["https://fcm.googleapis.com/fcm/send/a"], "keys": {"p256dh": 1, "auth": 2}},
        {"endpoint": None, "keys": {"p256dh": None, "auth": None}},
        {"endpoint": "https://fcm.googleapis.com/fcm/send/a", "keys": {"p256dh": {}, "auth": []}},
    ],
)
def test_a_subscription_of_the_wrong_types_gets_a_400_in_spanish(
    client, signed_in, push_service, body, method
):
    response = post(client, body, method=method)

    assert response.status_code == 400
    assert response.json() == {"error": "Eso no es una suscripción push del navegador."}


def test_the_errors_read_by_the_students_browser_are_in_spanish(client, push_service):
    assert post(client, {}).json() == {"error": "Inicia sesión en el portal para continuar."}


def test_the_service_worker_is_served_from_the_portal_scope(client):
    response = client.get("/portal/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert 'addEventListener("push"' in response.content.decode()


def test_the_home_invites_to_turn_on_push_until_a_browser_is_subscribed(
    client, signed_in, push_service
):
    assert "/portal/avisos/" in client.get("/portal/").content.decode()

    post(client, push_service.new_browser().as_json())

    assert "/portal/avisos/" not in client.get("/portal/").content.decode()
