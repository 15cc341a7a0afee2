"""Students, leads and registrants read CourseOps in their own language; staff in Spanish.

Nothing here activates a language around the code under test: each flow must pick the
person's language itself.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from courseops.messaging.models import Category, Channel, OutboundMessage
from courseops.messaging.services import queue_email
from courseops.reviews.models import PolicyMode, ReviewPolicy
from students.intake.services import register_student
from students.models import IntakeRecord, Material, Plan, Student, StudentMaterial
from students.onboarding.pipeline import start_onboarding
from students.portal.services import sign_in_link
from webinars.models import Registration
from webinars.services import (
    registration_create,
    scan_due_reminders,
    webinar_create,
    webinar_schedule,
)

pytestmark = pytest.mark.django_db
SITE_URL = "http://127.0.0.1:8000"
START = datetime(2026, 12, 10, 17, 0, tzinfo=UTC)  # 11:00 in Mexico City
BEFORE = START - timedelta(days=20)


@pytest.fixture
def plan(db):
    plan = Plan.objects.create(slug="premium", name="Premium", price=99)
    plan.materials.add(Material.objects.create(title="Curso de IA", kind="course"))
    return plan


@pytest.fixture
def make_student(plan):
    def make(language, **fields):
        name = {"en": "John Smith", "es": "Lucía Pérez"}[language]
        defaults = {
            "full_name": name,
            "email": {"en": "john@example.com", "es": "lucia@example.com"}[language],
            "phone": "+525512345678",
            "time_zone": "America/Mexico_City",
            "language": language,
            "plan": plan,
            "source": Student.Source.API,
        }
        return Student.objects.create(**{**defaults, **fields})

    return make


def path_of(link):
    return link.removeprefix(SITE_URL)


WELCOME = {
    "en": ("Welcome aboard, John!", "Go to my learning platform", "Go to your learning platform:"),
    "es": ("¡Te damos la bienvenida, Lucía!", "Entrar a mi plataforma", "Entra a tu plataforma:"),
}


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_welcome_email_is_in_the_students_language(language, make_student, at):
    ReviewPolicy.objects.update_or_create(kind="welcome_email", defaults={"mode": PolicyMode.AUTO})
    student = make_student(language)

    at(BEFORE, start_onboarding, student=student)

    subject, button, text_link = WELCOME[language]
    message = OutboundMessage.objects.get(recipient=student.email)
    assert message.subject == subject
    assert f'<html lang="{language}">' in message.html_body
    assert button in message.html_body
    assert text_link in message.text_body
    if language == "en":
        # The platform's name in the AI context is in English too.
        assert "Student portal" in message.text_body
        assert "alumno" not in message.text_body


@pytest.fixture
def webinar(at):
    def create():
        webinar = webinar_create(
            title="AI for your business",
            description="Practical cases.",
            starts_at=START,
            time_zone="America/Mexico_City",
            is_public=True,
        )
        return webinar_schedule(webinar=webinar)

    return at(BEFORE, create)


WEBINAR = {
    "en": {
        "confirmation": "Registration confirmed: AI for your business",
        "body": "Your place at AI for your business is confirmed.",
        "when": "Dec. 10, 2026, 11 a.m., Mexico (Mexico City) Time",
        "reminder": "Reminder: AI for your business",
        "sms": "Reminder: AI for your business, Dec. 10, 2026, 11 a.m.",
        "stop": "Reply STOP to opt out of texts.",
    },
    "es": {
        "confirmation": "Inscripción confirmada: AI for your business",
        "body": "Tu plaza en AI for your business está confirmada.",
        "when": "10 de diciembre de 2026 a las 11:00, hora de México (Ciudad de México)",
        "reminder": "Recordatorio: AI for your business",
        "sms": "Recordatorio: AI for your business, 10 de diciembre de 2026 a las 11:00",
        "stop": "Responde STOP para no recibir SMS.",
    },
}


@pytest.mark.parametrize("language", ["en", "es"])
def test_webinar_confirmation_and_reminders_by_email_and_sms_are_in_the_registrants_language(
    language, make_student, webinar, at
):
    student = make_student(language)
    at(
        BEFORE,
        registration_create,
        webinar=webinar,
        student=student,
        source=Registration.Source.ONBOARDING,
        sms_consent=True,
        consent_text="SMS ok",
    )

    at(START - timedelta(days=1), scan_due_reminders)

    words = WEBINAR[language]
    confirmation = OutboundMessage.objects.get(idempotency_key__startswith="webinars.confirmation.")
    assert confirmation.subject == words["confirmation"]
    assert words["body"] in confirmation.text_body
    assert words["when"] in confirmation.text_body
    reminders = OutboundMessage.objects.filter(idempotency_key__startswith="webinars.reminder.")
    email = reminders.get(channel=Channel.EMAIL)
    assert email.subject.startswith(words["reminder"])
    assert words["when"] in email.text_body
    sms = reminders.get(channel=Channel.SMS)
    assert sms.text_body.startswith(words["sms"])
    assert sms.text_body.endswith(words["stop"])
    assert sms.language == language


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["Sign in to the portal", "Your materials", "Course", "Sign out"]),
        ("es", ["Entrar al portal", "Tus materiales", "Curso", "Salir"]),
    ],
)
def test_the_portal_speaks_the_signed_in_students_language(
    language, expected, make_student, client
):
    student = make_student(language)
    StudentMaterial.objects.create(student=student, material=student.plan.materials.get())
    link = path_of(sign_in_link(student=student))

    access = client.get(link).content.decode()
    client.post(link)
    home = client.get("/portal/").content.decode()

    assert f'<html lang="{language}">' in access
    assert expected[0] in access
    assert f'<html lang="{language}">' in home
    for text in expected[1:]:
        assert text in home


def test_before_sign_in_the_portal_answers_in_spanish_whoever_asks(make_student, at, client):
    """Answering in the student's language would tell that the address is a student's."""
    student = make_student("en")

    known = at(BEFORE, client.post, "/portal/entrar/", {"email": student.email})

    assert "Revisa tu correo" in known.content.decode()
    message = OutboundMessage.objects.get(recipient=student.email)
    assert message.subject == "Your link to sign in to the portal"
    assert "The link works once" in message.text_body


def test_the_staff_admin_stays_in_spanish_for_an_english_browser(staff_user, client):
    client.force_login(staff_user)

    response = client.get("/admin/", headers={"accept-language": "en"})

    assert response.status_code == 200
    assert 'lang="es"' in response.content.decode()


def test_an_english_registration_with_errors_is_asked_in_english_and_staff_read_spanish(
    plan, client, django_capture_on_commit_callbacks
):
    data = {"email": "john@example.com", "full_name": "John Smith", "language": "English"}
    with django_capture_on_commit_callbacks(execute=True):
        register_student(data={**data, "plan": "gold"}, source="typeform")

    record = IntakeRecord.objects.get()
    assert record.errors["plan"] == ["Plan desconocido «gold». Planes válidos: premium."]
    message = OutboundMessage.objects.get()
    assert message.language == "en"
    assert message.subject == "One more detail to complete your registration"
    assert "- Plan: Unknown plan “gold”. Valid plans: premium." in message.text_body
    path = re.search(r"/registro/corregir/\S+/", message.text_body).group(0)

    page = client.get(path).content.decode()
    still_wrong = client.post(path, {**data, "plan": ""})

    assert '<html lang="en">' in page
    assert "Fix your registration" in page
    assert "Unknown plan “gold”" in page
    assert still_wrong.status_code == 400
    assert "Choose a plan: premium." in still_wrong.content.decode()
    record.refresh_from_db()
    assert record.errors["plan"] == ["Elige un plan: premium."]
    done = client.post(path, {**data, "plan": "premium"})
    assert "All done! Your registration is complete" in done.content.decode()


def test_an_english_webinars_page_and_its_form_errors_are_in_english(at, client):
    webinar = at(
        BEFORE,
        webinar_create,
        title="AI for your business",
        starts_at=START,
        time_zone="America/Mexico_City",
        is_public=True,
        language="en",
    )
    at(BEFORE, webinar_schedule, webinar=webinar)
    page = f"/webinars/{webinar.pk}/"

    with time_machine.travel(BEFORE, tick=False):
        shown = client.get(page).content.decode()
        wrong = client.post(
            page, {"name": "John", "email": "john@example.com", "time_zone": "Mars"}
        )

    assert "Register for free" in shown
    assert "Dec. 10, 2026, 11 a.m." in shown
    assert wrong.status_code == 400
    assert "Unknown time zone." in wrong.content.decode()


@pytest.mark.parametrize(
    ("language", "button"), [("en", "Confirm unsubscribe"), ("es", "Confirmar la baja")]
)
def test_the_unsubscribe_page_speaks_the_language_of_the_email(language, button, client):
    message = queue_email(
        to="john@example.com",
        idempotency_key=f"newsletter.{language}",
        subject="News",
        text="News",
        category=Category.MARKETING,
        language=language,
    )
    url = message.headers["List-Unsubscribe"].strip("<>")

    page = client.get(path_of(url)).content.decode()

    assert f"lang={language}" in url
    assert button in page
