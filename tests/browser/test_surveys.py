"""A survey answered from the emailed link in Chromium, on the production-like site."""

from datetime import timedelta

import pytest
from django.utils import timezone

from surveys.models import Answer, Survey
from surveys.services import answer_url, survey_for
from tests.browser.conftest import assert_production_headers
from webinars.models import Webinar

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def webinar_survey():
    webinar = Webinar.objects.create(
        title="IA práctica",
        starts_at=timezone.now() - timedelta(days=2),
        time_zone="Europe/Madrid",
        status=Webinar.Status.FINISHED,
    )
    return survey_for(Survey.Kind.WEBINAR, webinar=webinar)


def test_a_person_answers_the_survey_from_the_email_link_in_chromium(page, webinar_survey):
    """Chromium posts with the page's Origin (with `no-referrer` it sent `Origin: null`
    and CSRF answered 403)."""
    shown = page.goto(answer_url(webinar_survey, "ana@example.com", 4))
    page.get_by_label("¿Quieres contarnos algo más? (opcional)").fill("Muy claro, gracias")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Enviar respuesta").click()

    assert posted.value.status == 200
    assert_production_headers(shown)
    assert posted.value.request.headers["origin"] == page.url.split("/encuestas/")[0]
    answer = Answer.objects.get()
    assert (answer.respondent, answer.score, answer.comment) == (
        "ana@example.com",
        4,
        "Muy claro, gracias",
    )
    assert page.get_by_role("heading").first.is_visible()
