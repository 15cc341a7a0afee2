"""Students see their course's published lessons, materials and quiz; what they do is
announced to engagement through the content signals."""

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from content.models import Course, LessonProgress, QuizAttempt
from content.signals import lesson_completed, lesson_viewed, quiz_attempted
from students.portal.services import SESSION_EMAIL_KEY, SESSION_KEY

QUIZ = {
    "questions": [
        {
            "question": f"¿Pregunta {n}?",
            "options": [{"text": "Sí", "correct": True}, {"text": "No", "correct": False}],
            "explanation": "",
        }
        for n in range(1, 4)
    ]
}


@pytest.fixture
def signals():
    received = []

    def make(name):
        def receiver(sender, **kwargs):
            received.append((name, kwargs))

        return receiver

    receivers = [
        (s, make(n))
        for s, n in [
            (lesson_viewed, "viewed"),
            (quiz_attempted, "quiz"),
            (lesson_completed, "completed"),
        ]
    ]
    for signal, receiver in receivers:
        signal.connect(receiver)
    yield received
    for signal, receiver in receivers:
        signal.disconnect(receiver)


@pytest.fixture
def published(make_lesson):
    lesson = make_lesson(
        transcript=[{"start": 65.0, "end": 70.0, "text": "Los embeddings son vectores."}],
        materials={
            "summary": "Resumen de embeddings.",
            "key_points": [{"seconds": 65.0, "point": "Vectores"}],
            "takeaways": ["Buscar por significado"],
            "next_steps": ["Practicar"],
        },
        quiz=QUIZ,
        published_at=timezone.now(),
    )
    lesson.pdf.save("leccion.pdf", ContentFile(b"%PDF-1.7 demo"))
    return lesson


@pytest.fixture
def signed_in(client, students):
    student = students[0]
    session = client.session
    session[SESSION_KEY] = student.pk
    session[SESSION_EMAIL_KEY] = student.email
    session.save()
    return student


def test_students_see_only_the_published_lessons_of_their_courses(
    client, signed_in, published, make_lesson
):
    make_lesson(order=2, title="Borrador sin publicar")
    other = Course.objects.create(title="Otro curso", slug="otro")
    published.__class__.objects.create(
        course=other, title="De otro curso", published_at=timezone.now()
    )

    page = client.get("/portal/lecciones/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Embeddings y RAG" in html
    assert "Borrador sin publicar" not in html
    assert "De otro curso" not in html


def test_signed_out_visitors_go_to_sign_in(client, published):
    assert client.get(f"/portal/lecciones/{published.pk}/").url == "/portal/entrar/"


def test_opening_a_lesson_shows_its_materials_and_announces_the_view(
    client, signed_in, published, signals
):
    page = client.get(f"/portal/lecciones/{published.pk}/")
    html = page.content.decode()
    assert "Resumen de embeddings." in html
    assert "[01:05]" in html
    assert "¿Pregunta 2?" in html
    assert [name for name, _kw in signals] == ["viewed"]
    assert signals[0][1]["student"] == signed_in
    assert LessonProgress.objects.filter(student=signed_in, lesson=published).exists()

    assert client.get(f"/portal/lecciones/{published.pk}/pdf/").getvalue() == b"%PDF-1.7 demo"
    vtt = client.get(f"/portal/lecciones/{published.pk}/transcripcion.vtt")
    assert vtt.content.decode().startswith("WEBVTT\n\n00:01:05.000 --> 00:01:10.000")


def test_a_lesson_of_another_plan_is_not_found(client, students, published):
    from students.models import Student

    outsider = Student.objects.get(email="otro@example.com")
    session = client.session
    session[SESSION_KEY] = outsider.pk
    session[SESSION_EMAIL_KEY] = outsider.email
    session.save()
    assert client.get(f"/portal/lecciones/{published.pk}/").status_code == 404
    assert client.get(f"/portal/lecciones/{published.pk}/pdf/").status_code == 404


def test_quiz_attempts_are_scored_and_passing_completes_the_lesson_once(
    client, signed_in, published, signals, django_capture_on_commit_callbacks
):
    url = f"/portal/lecciones/{published.pk}/cuestionario/"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"q0": "1", "q1": "1", "q2": "0"})  # 1 of 3
        client.post(url, {"q0": "0", "q1": "0", "q2": "0"})  # 3 of 3
        client.post(url, {"q0": "0", "q1": "0", "q2": "1"})  # 2 of 3: still completed once

    assert list(QuizAttempt.objects.order_by("pk").values_list("score", "max_score")) == [
        (1, 3),
        (3, 3),
        (2, 3),
    ]
    assert [name for name, _kw in signals] == ["quiz", "quiz", "completed", "quiz"]
    assert signals[1][1]["score"] == 3
    progress = LessonProgress.objects.get(student=signed_in, lesson=published)
    assert progress.completed_at is not None


def test_an_incomplete_quiz_is_a_form_error_not_an_attempt(client, signed_in, published):
    response = client.post(f"/portal/lecciones/{published.pk}/cuestionario/", {"q0": "0"})
    assert response.status_code == 400
    assert "Responde todas las preguntas" in response.content.decode()
    assert not QuizAttempt.objects.exists()


def test_an_english_speaking_student_reads_the_portal_in_english(client, signed_in, published):
    signed_in.language = "en"
    signed_in.save()
    assert "Your lessons" in client.get("/portal/lecciones/").content.decode()
    page = client.get(f"/portal/lecciones/{published.pk}/").content.decode()
    assert "Key points" in page
    assert "Send answers" in page


def test_the_portal_home_counts_the_lessons_not_opened_yet(client, signed_in, published):
    home = client.get("/portal/").content.decode()
    assert '<strong>Lecciones</strong><span class="muted">0 de 1 hechas · 1 nueva</span>' in home
    assert 'Lecciones <span class="badge">' in home

    client.get(f"/portal/lecciones/{published.pk}/")
    # No waiting for the cached summaries' minute: opening a lesson refreshes them.
    home = client.get("/portal/").content.decode()
    assert '<span class="muted">0 de 1 hechas</span>' in home
    assert 'Lecciones <span class="badge">' not in home


def test_a_lesson_without_quiz_is_completed_by_the_student_once(
    client, signed_in, published, signals, django_capture_on_commit_callbacks
):
    published.quiz = {}
    published.save()
    page = client.get(f"/portal/lecciones/{published.pk}/").content.decode()
    assert "Marcar como completada" in page

    url = f"/portal/lecciones/{published.pk}/completar/"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
        client.post(url)

    assert [name for name, _kw in signals] == ["viewed", "completed"]
    assert LessonProgress.objects.get(student=signed_in, lesson=published).completed_at
    page = client.get(f"/portal/lecciones/{published.pk}/").content.decode()
    assert "Lección completada" in page
    assert "Marcar como completada" not in page


def test_a_lesson_with_a_quiz_is_not_completed_without_passing_it(client, signed_in, published):
    response = client.post(f"/portal/lecciones/{published.pk}/completar/")
    assert response.status_code == 400
    assert not LessonProgress.objects.filter(completed_at__isnull=False).exists()
    assert client.get(f"/portal/lecciones/{published.pk}/completar/").status_code == 405
