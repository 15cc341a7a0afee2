"""Staff pages: lessons created from an upload start processing; the jobs list shows step
progress and cost in constant queries; a step's page shows its output and re-runs it."""

from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from content.models import JobStep, Lesson
from content.services import pipeline
from tests.content.conftest import make_vtt


def _list_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/admin/content/contentjob/")
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_the_jobs_list_loads_in_the_same_number_of_queries_for_2_and_8_jobs(
    client, staff_user, make_lesson
):
    client.force_login(staff_user)
    for order in range(2):
        pipeline.start_job(lesson=make_lesson(order=order, title=f"Lección {order}"))
    JobStep.objects.filter(name="transcribe").update(cost_usd=Decimal("0.25"), status="done")
    few, html = _list_queries(client)
    assert "0.2500" in html
    assert "Transcripción: Hecho (0%)" in html
    for order in range(2, 8):
        pipeline.start_job(lesson=make_lesson(order=order, title=f"Lección {order}"))
    many, html = _list_queries(client)
    assert "Lección 7" in html
    assert many == few


def test_adding_a_lesson_with_subtitles_processes_it_until_review(
    client, staff_user, course, django_capture_on_commit_callbacks
):
    client.force_login(staff_user)
    upload = SimpleUploadedFile("clase.vtt", make_vtt().encode(), "text/vtt")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/content/lesson/add/",
            {
                "course": course.pk,
                "order": 1,
                "title": "Clase VTT",
                "language": "es",
                "subtitles": upload,
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    lesson = Lesson.objects.get(title="Clase VTT")
    assert lesson.job.steps.get(name="review").status == "waiting"

    page = client.get(f"/admin/content/lesson/{lesson.pk}/change/").content.decode()
    assert "lesson_summary" in page
    assert "Pendiente" in page


def test_subtitles_without_cues_are_a_form_error(client, staff_user, course):
    client.force_login(staff_user)
    upload = SimpleUploadedFile("clase.vtt", b"esto no es un subtitulo", "text/vtt")
    response = client.post(
        "/admin/content/lesson/add/",
        {"course": course.pk, "order": 1, "title": "Mala", "language": "es", "subtitles": upload},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "subtitles": ["El archivo de subtítulos no contiene ningún segmento con texto."]
    }
    assert not Lesson.objects.exists()


def test_a_step_page_shows_its_output_and_re_runs_it(
    client, staff_user, make_lesson, django_capture_on_commit_callbacks
):
    client.force_login(staff_user)
    lesson = make_lesson(vtt=make_vtt())
    with django_capture_on_commit_callbacks(execute=True):
        job = pipeline.start_job(lesson=lesson)
    quiz = job.steps.get(name="quiz")
    url = f"/admin/content/contentjob/{job.pk}/pasos/{quiz.pk}/"
    page = client.get(url).content.decode()
    assert "¿Qué palabra falta?" in page
    assert client.get(f"/admin/content/contentjob/{job.pk}/change/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url + "ejecutar/", {"mode": "rerun"})
    assert response.status_code == 302
    quiz.refresh_from_db()
    assert quiz.attempts == 2
    assert job.steps.get(name="summary").attempts == 1


def test_a_course_asks_for_extra_languages_but_not_its_own(client, staff_user, plan):
    from content.models import Course

    client.force_login(staff_user)
    form = {"title": "Curso", "slug": "curso", "plans": [plan.pk], "language": "es"}
    wrong = client.post("/admin/content/course/add/", {**form, "materials_languages": ["es", "en"]})
    assert "no es un idioma adicional" in wrong.content.decode()
    right = client.post("/admin/content/course/add/", {**form, "materials_languages": ["en", "pt"]})
    assert right.status_code == 302
    assert Course.objects.get(slug="curso").materials_languages == ["en", "pt"]


def test_the_lessons_list_loads_in_the_same_number_of_queries_for_2_and_8_lessons(
    client, staff_user, make_lesson
):
    client.force_login(staff_user)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/admin/content/lesson/").status_code == 200
        return len(captured)

    for order in range(2):
        pipeline.start_job(lesson=make_lesson(order=order, title=f"Lección {order}"))
    few = queries()
    for order in range(2, 8):
        pipeline.start_job(lesson=make_lesson(order=order, title=f"Lección {order}"))
    assert queries() == few


def test_staff_download_the_transcript_as_srt_for_the_player(client, staff_user, make_lesson):
    client.force_login(staff_user)
    lesson = make_lesson(transcript=[{"start": 1.5, "end": 3.0, "text": "Hola"}])
    page = client.get(f"/admin/content/lesson/{lesson.pk}/change/").content.decode()
    assert f"/admin/content/lesson/{lesson.pk}/transcripcion.srt" in page
    srt = client.get(f"/admin/content/lesson/{lesson.pk}/transcripcion.srt")
    assert srt.content.decode() == "1\n00:00:01,500 --> 00:00:03,000\nHola\n"
    assert client.get(f"/admin/content/lesson/{lesson.pk}/transcripcion.doc").status_code == 404
