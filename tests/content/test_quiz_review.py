"""After a quiz attempt the student sees each question right or wrong, the right answer
and why, and the rule to pass and retry."""

import pytest
from django.utils import timezone

from content.portal.services import pass_mark
from tests.content import test_portal

signed_in = test_portal.signed_in

QUIZ = {
    "questions": [
        {
            "question": f"¿Pregunta {n}?",
            "options": [
                {"text": f"Correcta {n}", "correct": True},
                {"text": f"Falsa {n}", "correct": False},
            ],
            "explanation": f"Porque se explica en el minuto {n}.",
        }
        for n in range(1, 5)
    ]
}


@pytest.fixture
def lesson(make_lesson):
    return make_lesson(quiz=QUIZ, published_at=timezone.now())


@pytest.mark.parametrize(("questions", "needed"), [(1, 1), (3, 3), (4, 3), (5, 4), (10, 7)])
def test_the_pass_mark_is_seventy_percent_rounded_up(questions, needed):
    assert pass_mark(questions) == needed


def test_a_failed_attempt_shows_what_was_wrong_the_right_answer_and_why(client, signed_in, lesson):
    answers = {"q0": "0", "q1": "1", "q2": "1", "q3": "0"}  # two right, two wrong

    response = client.post(f"/portal/lecciones/{lesson.pk}/cuestionario/", answers)
    assert response.url == f"/portal/lecciones/{lesson.pk}/#resultado"

    page = client.get(response.url).content.decode()
    assert "Se aprueba con 3 aciertos de 4." in page
    assert "Tu último intento: 2 de 4." in page
    assert "Aún no llega al aprobado" in page
    assert "(1 intento)" in page
    review = page[page.index('id="resultado"') : page.index("Volver a intentarlo")]
    assert review.count("✓ Correcta") == 2
    assert review.count("✗ Incorrecta") == 2
    assert "Respondiste: Falsa 2" in review
    assert "La respuesta correcta es: <strong>Correcta 2</strong>" in review
    assert "La respuesta correcta es: <strong>Correcta 1</strong>" not in review  # was right
    for n in range(1, 5):
        assert f"Porque se explica en el minuto {n}." in review
    # The form is there to try again.
    assert 'name="q3"' in page


def test_a_passing_retry_says_so_and_counts_the_attempts(client, signed_in, lesson):
    url = f"/portal/lecciones/{lesson.pk}/cuestionario/"
    client.post(url, {"q0": "1", "q1": "1", "q2": "1", "q3": "1"})
    client.post(url, {"q0": "0", "q1": "0", "q2": "0", "q3": "1"})

    page = client.get(f"/portal/lecciones/{lesson.pk}/").content.decode()
    assert "Tu último intento: 3 de 4." in page
    assert "¡Aprobado!" in page
    assert "(2 intentos)" in page
    assert "Lección completada" in page


def test_an_english_speaking_student_reads_the_review_and_the_player_in_english(
    client, signed_in, lesson
):
    signed_in.language = "en"
    signed_in.save()
    client.post(f"/portal/lecciones/{lesson.pk}/cuestionario/", {f"q{n}": "1" for n in range(4)})

    page = client.get(f"/portal/lecciones/{lesson.pk}/").content.decode()
    assert "You pass with 3 right answers out of 4." in page
    assert "The right answer is: <strong>Correcta 1</strong>" in page
    assert "lesson 1 of 1" in page
    assert "0 of 1 lessons done (0 %)" in page
