"""The lesson player in Chromium, as a student reaches it from their sign-in link, with
production's security settings: the stored video plays with captions, chapters seek,
the speed changes, what was watched is recorded and the position resumes after a reload;
axe-core finds nothing serious at 1280 and 375 px."""

import re

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from pypdf import PdfReader

from content.demo import demo_video
from content.models import Course, Lesson, LessonProgress
from content.portal.services import complete_lesson
from engagement.services.curriculum import refresh_curricula
from students.models import Plan, Student
from students.portal.services import sign_in_link
from tests.browser.accessibility import check_widths
from tests.browser.conftest import assert_production_headers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SEGMENTS = [
    {"start": 0.0, "end": 5.9, "text": "Hoy vemos qué es un embedding."},
    {"start": 6.0, "end": 11.9, "text": "Un embedding es un vector de números."},
    {"start": 12.0, "end": 19.9, "text": "Vectores cercanos, significados parecidos."},
]
QUIZ = {
    "questions": [
        {
            "question": "¿Qué es un embedding?",
            "options": [
                {"text": "Un vector", "correct": True},
                {"text": "Una base de datos", "correct": False},
            ],
            "explanation": "Un embedding representa un texto como un vector de números.",
        }
    ]
}


@pytest.fixture(scope="module")
def video_bytes():
    return demo_video(20)


@pytest.fixture
def lesson(video_bytes):
    plan = Plan.objects.create(slug="premium", name="Premium", price=99)
    course = Course.objects.create(title="IA aplicada", slug="ia-aplicada")
    course.plans.add(plan)
    lesson = Lesson.objects.create(
        course=course,
        order=1,
        title="Embeddings",
        transcript=SEGMENTS,
        materials={
            "summary": "Qué es un embedding y para qué sirve.",
            "key_points": [
                {"seconds": 6, "point": "Un embedding es un vector"},
                {"seconds": 12, "point": "Cercanía es parecido"},
            ],
        },
        quiz=QUIZ,
        published_at=timezone.now(),
    )
    lesson.video.save("embeddings.webm", ContentFile(video_bytes))
    Student.objects.create(
        full_name="Lucía Fernández",
        email="lucia@example.com",
        plan=plan,
        source=Student.Source.API,
        status=Student.Status.ACTIVE,
    )
    return lesson


def sign_in(page, student):
    page.goto(sign_in_link(student=student))
    page.get_by_role("button", name="Entrar al portal").click()
    page.wait_for_url("**/portal/")


def video_state(page):
    return page.evaluate(
        """() => { const v = document.getElementById('player-video');
        return {time: v.currentTime, paused: v.paused, rate: v.playbackRate,
                duration: v.duration, track: v.textTracks[0] && v.textTracks[0].mode}; }"""
    )


def test_a_student_watches_part_of_a_lesson_and_resumes_after_a_reload(page, lesson, tmp_path):
    student = Student.objects.get()
    sign_in(page, student)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    shown = page.goto(f"/portal/lecciones/{lesson.pk}/")
    assert_production_headers(shown)
    page.wait_for_function("() => document.getElementById('player-video').readyState >= 1")
    state = video_state(page)
    assert state["duration"] == pytest.approx(20, abs=0.5)
    assert state["track"] == "showing"  # the lesson's VTT, loaded under the page's policy
    page.wait_for_function(
        "() => document.getElementById('player-video').textTracks[0].cues?.length === 3"
    )

    page.get_by_label("Velocidad").select_option("2")
    assert video_state(page)["rate"] == 2

    # A chapter seeks and plays (the click is the gesture the browser wants for sound).
    page.get_by_role("button", name="Ir a 00:06").first.click()
    page.wait_for_function("() => document.getElementById('player-video').currentTime >= 13")
    with page.expect_response(re.compile(r"/reproduccion/$")) as reported:
        page.evaluate("document.getElementById('player-video').pause()")
    assert reported.value.status == 204
    page.screenshot(path=tmp_path / "player-playing.png", full_page=True)

    progress = LessonProgress.objects.get(lesson=lesson, student=student)
    assert progress.position_seconds >= 13
    assert progress.watched_percent >= 25  # 6 s to 13 s and more, of 20 s
    position = progress.position_seconds

    page.reload()
    page.wait_for_function("() => document.getElementById('player-video').readyState >= 1")
    resumed = page.locator("#resume-note")
    resumed.wait_for()
    assert f"00:{position:02d}" in resumed.inner_text()
    assert video_state(page)["time"] == pytest.approx(position, abs=1)
    assert video_state(page)["rate"] == 2  # the speed chosen stays for the next lesson
    assert page.get_by_text(f"Has visto el {progress.watched_percent} % del vídeo.").is_visible()

    violations = check_widths(page, tmp_path, "player")
    assert violations == {"laptop": [], "phone": []}
    assert not [e for e in errors if "Content Security Policy" in e]


def test_the_position_resumes_when_the_video_loaded_before_the_player_script(page, lesson):
    """A reloaded page often has the video cached: its metadata arrives before the
    deferred script runs, and "loadedmetadata" has already fired. Holding the script
    back until then makes that order certain."""
    student = Student.objects.get()
    LessonProgress.objects.create(lesson=lesson, student=student, position_seconds=9)
    sign_in(page, student)
    held = []
    page.route("**/player*.js", lambda route: held.append(route))

    page.goto(f"/portal/lecciones/{lesson.pk}/", wait_until="commit")
    page.wait_for_function("() => document.getElementById('player-video')?.readyState >= 1")
    while not held:  # the handler runs while Playwright waits
        page.wait_for_timeout(20)
    held[0].continue_()

    resumed = page.locator("#resume-note")
    resumed.wait_for()
    assert "00:09" in resumed.inner_text()
    assert video_state(page)["time"] == pytest.approx(9, abs=0.5)


def test_the_outline_home_and_progress_agree_and_pass_axe(page, lesson, tmp_path):
    student = Student.objects.get()
    second = Lesson.objects.create(
        course=lesson.course, order=2, title="Búsqueda semántica", published_at=timezone.now()
    )
    refresh_curricula()
    complete_lesson(student=student, lesson=lesson)  # engagement hears of it, as in use
    sign_in(page, student)
    line = "1 de 2 lecciones hechas (50 %)"

    home = page.locator("main")
    assert home.get_by_role("heading", name="Tu siguiente lección").is_visible()
    assert line in home.inner_text()
    found = {"home": check_widths(page, tmp_path, "home")}

    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name="Búsqueda semántica").click()
    page.wait_for_url(f"**/portal/lecciones/{second.pk}/")
    assert "lección 2 de 2" in page.locator("main").inner_text()

    page.goto("/portal/lecciones/")
    outline = page.locator("ol.outline").inner_text()
    assert "Embeddings" in outline
    assert "Hecha" in outline
    assert "En curso" in outline  # the second, just opened
    assert line in page.locator("main").inner_text()
    found["outline"] = check_widths(page, tmp_path, "outline")

    page.goto("/portal/")
    assert page.get_by_role("heading", name="Continúa donde lo dejaste").is_visible()

    page.goto("/portal/progreso/")
    progress = page.locator("main").inner_text()
    assert "1 de 2 lecciones (50 %)" in progress  # the plan's, from engagement
    assert line in progress  # the course's, from the outline
    found["progress"] = check_widths(page, tmp_path, "progress")
    assert found == {name: {"laptop": [], "phone": []} for name in found}


def test_a_student_fails_the_quiz_sees_why_and_passes_on_retry(page, lesson, tmp_path):
    sign_in(page, Student.objects.get())
    page.goto(f"/portal/lecciones/{lesson.pk}/")

    page.get_by_label("Una base de datos").check()
    page.get_by_role("button", name="Enviar respuestas").click()
    page.wait_for_url(f"**/portal/lecciones/{lesson.pk}/#resultado")
    review = page.locator("#resultado")
    assert "Tu último intento: 0 de 1." in review.inner_text()
    assert "✗ Incorrecta" in review.inner_text()
    assert "La respuesta correcta es: Un vector" in review.inner_text()
    assert "Un embedding representa un texto como un vector de números." in review.inner_text()
    found = check_widths(page, tmp_path, "quiz-review")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_label("Un vector").check()
    page.get_by_role("button", name="Enviar respuestas").click()
    page.wait_for_url(f"**/portal/lecciones/{lesson.pk}/#resultado")
    assert "¡Aprobado!" in page.locator("#resultado").inner_text()
    assert page.get_by_text("Lección completada").is_visible()
    assert found == {"laptop": [], "phone": []}


def test_a_student_who_finished_downloads_the_certificate(page, lesson, tmp_path):
    student = Student.objects.get()
    refresh_curricula()
    complete_lesson(student=student, lesson=lesson)
    sign_in(page, student)

    page.goto("/portal/progreso/")
    page.get_by_role("link", name="Tu certificado").click()
    page.wait_for_url("**/portal/certificado/")
    assert "Lucía Fernández completó el curso del plan Premium" in page.locator("main").inner_text()
    found = check_widths(page, tmp_path, "certificate")

    with page.expect_download() as download:
        page.get_by_role("link", name="Descargar el certificado (PDF)").click()
    saved = tmp_path / "certificado.pdf"
    download.value.save_as(saved)
    text = PdfReader(saved).pages[0].extract_text()
    assert "Lucía Fernández" in text
    assert found == {"laptop": [], "phone": []}


def test_a_second_student_on_the_same_browser_starts_from_their_own_share(page, lesson):
    lucia = Student.objects.get()
    tomas = Student.objects.create(
        full_name="Tomás Ruiz",
        email="tomas@example.com",
        plan=lucia.plan,
        source=Student.Source.API,
        status=Student.Status.ACTIVE,
    )

    def watch(student, chapter, until):
        sign_in(page, student)
        page.goto(f"/portal/lecciones/{lesson.pk}/")
        page.wait_for_function("() => document.getElementById('player-video').readyState >= 1")
        page.get_by_role("button", name=f"Ir a {chapter}").first.click()
        page.wait_for_function(
            f"() => document.getElementById('player-video').currentTime >= {until}"
        )
        with page.expect_response(re.compile(r"/reproduccion/$")):
            page.evaluate("document.getElementById('player-video').pause()")
        return LessonProgress.objects.get(lesson=lesson, student=student).watched_percent

    # Lucía watches from 6 s to 13 s; Tomás, on her browser after her, 12 s to 14 s.
    assert watch(lucia, "00:06", 13) >= 25
    assert watch(tomas, "00:12", 14) <= 25
