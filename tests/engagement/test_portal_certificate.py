"""The certificate in the portal: issued the first time a student who finished comes to
its page, downloadable as PDF by its owner only, with its public verification address."""

from io import BytesIO

import pytest
from pypdf import PdfReader

from content.portal.services import complete_lesson
from engagement.models import Certificate
from engagement.services.curriculum import refresh_curricula
from students.portal.services import SESSION_EMAIL_KEY, SESSION_KEY


def _sign_in(client, student):
    session = client.session
    session[SESSION_KEY] = student.pk
    session[SESSION_EMAIL_KEY] = student.email
    session.save()


@pytest.fixture
def lessons(make_lesson):
    made = [make_lesson("Lección 1"), make_lesson("Lección 2")]
    refresh_curricula()
    return made


@pytest.mark.django_db(transaction=True)
def test_a_student_who_finished_gets_the_certificate_and_its_pdf(
    client, student, lessons, settings
):
    settings.SITE_URL = "https://cursos.example.com"
    for lesson in lessons:
        complete_lesson(student=student, lesson=lesson)
    _sign_in(client, student)

    page = client.get("/portal/certificado/").content.decode()
    certificate = Certificate.objects.get(student=student)
    assert "Lucía Pérez completó el curso del plan <strong>Pro</strong>" in page
    assert f"https://cursos.example.com/certificados/{certificate.code}/" in page
    assert client.get("/portal/certificado/")  # a second visit issues nothing new
    assert Certificate.objects.filter(student=student).count() == 1

    pdf = client.get("/portal/certificado/pdf/")
    assert pdf["Content-Disposition"] == (
        f'attachment; filename="certificado-{certificate.code}.pdf"'
    )
    text = PdfReader(BytesIO(b"".join(pdf.streaming_content))).pages[0].extract_text()
    assert "Lucía Pérez" in text
    assert certificate.code in text


@pytest.mark.django_db(transaction=True)
def test_a_student_not_finished_sees_how_far_they_are_and_no_pdf(client, student, lessons):
    complete_lesson(student=student, lesson=lessons[0])
    _sign_in(client, student)

    page = client.get("/portal/certificado/").content.decode()
    assert "en cuanto completes todas las lecciones" in page
    assert "1 de 2 lecciones (50 %)" in page
    assert not Certificate.objects.exists()
    assert client.get("/portal/certificado/pdf/").status_code == 404


def test_the_certificate_pages_are_for_signed_in_students_only(client, db):
    assert client.get("/portal/certificado/").url == "/portal/entrar/"
    assert client.get("/portal/certificado/pdf/").url == "/portal/entrar/"


@pytest.mark.django_db(transaction=True)
def test_one_student_cannot_download_another_ones_certificate(
    client, student, make_student, lessons
):
    for lesson in lessons:
        complete_lesson(student=student, lesson=lesson)
    _sign_in(client, student)
    client.get("/portal/certificado/")
    other = make_student()
    _sign_in(client, other)
    assert client.get("/portal/certificado/pdf/").status_code == 404
