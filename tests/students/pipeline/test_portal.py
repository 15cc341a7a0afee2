import base64
import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from courseops.messaging.models import OutboundMessage
from students.models import Student, StudentMaterial
from students.portal.services import sign_in_link

pytestmark = pytest.mark.django_db


def path_of(link):
    return link.removeprefix("http://127.0.0.1:8000")


def without_email(response, email):
    """The page without the address typed and without the CSP nonce (new on every page)."""
    page = response.content.decode().replace(email, "")
    return re.sub(r'nonce="[^"]*"', "", page)


def test_asking_for_a_link_emails_one_and_answers_the_same_for_an_unknown_address(
    student, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post("/portal/entrar/", {"email": "LUCIA@example.com"})
    unknown = client.post("/portal/entrar/", {"email": "nadie@example.com"})

    assert known.status_code == unknown.status_code == 200
    assert without_email(known, "LUCIA@example.com") == without_email(unknown, "nadie@example.com")
    message = OutboundMessage.objects.get()
    assert message.recipient == "lucia@example.com"
    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+/portal/acceso/\S+/", message.text_body).group(0)
    assert client.post(path_of(link)).status_code == 302


def test_asking_twice_in_a_minute_sends_one_link(student, client):
    client.post("/portal/entrar/", {"email": "lucia@example.com"})
    client.post("/portal/entrar/", {"email": "lucia@example.com"})

    assert OutboundMessage.objects.count() == 1


def test_a_bad_email_gets_a_form_error(client):
    response = client.post("/portal/entrar/", {"email": "no-es-un-email"})

    assert response.status_code == 400
    assert "email" in response.content.decode().lower()


def test_opening_the_link_does_not_sign_in_but_the_button_does(student, client):
    StudentMaterial.objects.create(student=student, material=student.plan.materials.first())
    link = path_of(sign_in_link(student=student))

    page = client.get(link)
    assert page.status_code == 200
    assert "Entrar al portal" in page.content.decode()
    assert client.get("/portal/").status_code == 302  # still signed out

    assert client.post(link).url == "/portal/"
    home = client.get("/portal/")
    assert home.status_code == 200
    assert "Premium" in home.content.decode()
    assert "Curso de IA" in home.content.decode()


def test_a_link_works_once(student, client):
    link = path_of(sign_in_link(student=student))
    client.post(link)
    client.post("/portal/salir/")

    again = client.post(link)

    assert again.status_code == 400
    assert "ya se usó" in again.content.decode()
    assert client.get("/portal/").status_code == 302


def test_an_expired_link_is_refused(student, client, settings):
    settings.PORTAL_LINK_MAX_AGE_SECONDS = 3600
    with time_machine.travel(timezone.now() - timezone.timedelta(hours=2)):
        link = path_of(sign_in_link(student=student))

    response = client.post(link)

    assert response.status_code == 400
    assert "caducado" in response.content.decode()
    assert client.get("/portal/").status_code == 302


def test_a_tampered_link_is_refused(student, client):
    link = path_of(sign_in_link(student=student))
    token = link.split("/")[-2]
    forged = token.replace(token[0], "x" if token[0] != "x" else "y", 1)

    assert client.post(f"/portal/acceso/{forged}/").status_code == 400
    assert client.get(f"/portal/acceso/{forged}/").status_code == 400
    assert client.get("/portal/").status_code == 302


def test_an_inactive_student_is_signed_out_and_cannot_use_a_link(student, client):
    link = path_of(sign_in_link(student=student))
    client.post(link)
    Student.objects.filter(pk=student.pk).update(status=Student.Status.INACTIVE)

    assert client.get("/portal/").status_code == 302
    assert client.post(path_of(sign_in_link(student=student))).status_code == 400


def test_the_portal_session_is_not_a_staff_login(student, client):
    client.post(path_of(sign_in_link(student=student)))

    assert client.get("/admin/").status_code == 302


def test_a_link_stops_working_when_the_email_changes_and_does_not_show_it(student, client):
    link = path_of(sign_in_link(student=student))
    payload = link.split("/")[-2].split(":")[0]
    assert "lucia" not in base64.urlsafe_b64decode(payload + "==").decode()
    Student.objects.filter(pk=student.pk).update(email="nueva@example.com")

    assert client.post(link).status_code == 400


def test_asking_for_sign_in_links_is_limited_per_address(client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"portal_sign_in": "2/hour"},
    }
    url = reverse("portal:sign_in")
    codes = [client.post(url, {"email": f"x{n}@example.com"}).status_code for n in range(3)]
    assert codes == [200, 200, 429]


def test_a_student_whose_access_ended_is_told_why_and_offered_the_plans_instead_of_silence(
    student, client, django_capture_on_commit_callbacks
):
    Student.objects.filter(pk=student.pk).update(status=Student.Status.INACTIVE)

    with django_capture_on_commit_callbacks(execute=True):
        ended = client.post("/portal/entrar/", {"email": "lucia@example.com"})
    unknown = client.post("/portal/entrar/", {"email": "nadie@example.com"})

    # The page does not tell a stranger which addresses were students.
    assert without_email(ended, "lucia@example.com") == without_email(unknown, "nadie@example.com")
    message = OutboundMessage.objects.get()
    assert message.template == "students/access_ended"
    assert "tu suscripción ya no está activa" in message.text_body
    assert "http://127.0.0.1:8000/registro/" in message.text_body
    assert "Premium" in message.text_body
    assert "/portal/acceso/" not in message.text_body  # no link that would not work
    assert len(mail.outbox) == 1

    client.post("/portal/entrar/", {"email": "lucia@example.com"})  # again within the minute
    assert OutboundMessage.objects.count() == 1


def test_the_link_confirmation_page_shows_no_signed_in_menu(student, client):
    page = client.get(path_of(sign_in_link(student=student))).content.decode()

    assert "Entrar al portal" in page
    assert "Salir" not in page
    assert "Secciones del portal" not in page
    assert 'href="/portal/lecciones/"' not in page


def test_the_web_app_manifest_names_the_portal_and_its_icons(client):
    response = client.get("/portal/manifest.webmanifest")

    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["name"] == "Portal del alumno"
    assert manifest["start_url"] == manifest["scope"] == "/portal/"
    assert manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert sizes == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200
    page = client.get("/portal/entrar/").content.decode()
    assert '<link rel="manifest" href="/portal/manifest.webmanifest">' in page


HTML = {"HTTP_ACCEPT": "text/html,application/xhtml+xml"}


def test_signing_in_ends_on_the_portal_page_asked_for_before(student, client):
    asked = reverse("portal:subscription") + "?desde=email"
    assert client.get(asked, **HTML).url == "/portal/entrar/"

    signed_in = client.post(path_of(sign_in_link(student=student)))

    assert signed_in.url == asked
    assert client.get(asked).status_code == 200


def test_a_video_asked_for_while_signed_out_is_not_where_sign_in_ends(student, client):
    client.get("/portal/", **HTML)
    client.get(reverse("content_portal:video", args=[1]), HTTP_ACCEPT="*/*")

    assert client.post(path_of(sign_in_link(student=student))).url == "/portal/"


@pytest.mark.parametrize(
    "asked", ["https://evil.example/portal/", "//evil.example/portal/", "/admin/", ""]
)
def test_sign_in_never_ends_outside_the_portal(student, client, asked):
    session = client.session
    session["portal_next"] = asked
    session.save()

    assert client.post(path_of(sign_in_link(student=student))).url == "/portal/"
