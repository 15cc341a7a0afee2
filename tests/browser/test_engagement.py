"""FAQ answer votes and certificate checks in Chromium, from the links people get."""

from decimal import Decimal

import pytest
from django.utils import timezone

from engagement.models import Certificate, Question
from engagement.services.faq import vote_url
from students.models import Plan, Student
from tests.browser.conftest import assert_production_headers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_student_votes_that_an_answer_helped_from_the_email(page):
    question = Question.objects.create(
        email="lucia@example.com",
        text="¿Cómo descargo el PDF?",
        channel=Question.Channel.choices[0][0],
        status=Question.Status.ANSWERED,
    )

    shown = page.goto(vote_url(question, True))
    assert_production_headers(shown)
    question.refresh_from_db()
    assert question.helpful is None  # opening the link is not a vote (mail scanners)
    page.get_by_role("button", name="Sí, me ayudó").click()

    page.get_by_role("heading", name="¡Gracias por tu opinión!").wait_for()
    question.refresh_from_db()
    assert question.helpful is True


def test_anyone_with_the_code_checks_a_certificate(page):
    plan = Plan.objects.create(slug="premium", name="Premium", price=Decimal("99"))
    student = Student.objects.create(
        full_name="Lucía Gómez", email="lucia@example.com", plan=plan, source=Student.Source.API
    )
    Certificate.objects.create(
        student=student,
        plan=plan,
        code="CO-7F3K9",
        full_name="Lucía Gómez",
        issued_at=timezone.now(),
    )

    shown = page.goto("/certificados/CO-7F3K9/")

    assert_production_headers(shown)
    page.get_by_role("heading", name="Certificado válido").wait_for()
    assert page.get_by_text("Lucía Gómez completó el curso del plan Premium").is_visible()
    assert page.goto("/certificados/NO-EXISTE/").status == 404
