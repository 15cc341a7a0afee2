"""Materials in a course's extra languages: translated after the originals are approved,
reviewed per language, one PDF per language, shown to students in their language."""

from io import BytesIO

import pytest
from django.core.files.storage import default_storage
from pypdf import PdfReader

from content.models import Course
from content.reviews import lesson_drafts
from content.services import pipeline
from courseops.reviews.models import DraftStatus
from courseops.reviews.services import approve_draft
from students.portal.services import SESSION_EMAIL_KEY, SESSION_KEY
from tests.content.conftest import make_vtt


def _approve(lesson, user, capture, kind, data=None):
    with capture(execute=True):
        for draft in lesson_drafts(lesson).filter(kind=kind, status=DraftStatus.PENDING):
            approve_draft(draft=draft, user=user, data=data(draft.data) if data else None)


@pytest.fixture
def english_course(course):
    course.materials_languages = ["en"]
    course.save()
    return course


def _in_english(data):
    data = {**data, "title": "Embeddings and RAG"}
    data["materials"] = {**data["materials"], "summary": "English summary of the class."}
    data["materials"]["key_points"] = [
        {**p, "point": f"Key point {n}"} for n, p in enumerate(data["materials"]["key_points"])
    ]
    first = data["quiz"]["questions"][0]
    data["quiz"]["questions"][0] = {**first, "question": "What is explained first?"}
    return data


def test_an_approved_translation_gets_its_own_pdf_and_reaches_english_students(
    english_course, make_lesson, students, staff_user, client, django_capture_on_commit_callbacks
):
    lesson = make_lesson(vtt=make_vtt())
    with django_capture_on_commit_callbacks(execute=True):
        job = pipeline.start_job(lesson=lesson)
    _approve(lesson, staff_user, django_capture_on_commit_callbacks, "lesson_summary")
    _approve(lesson, staff_user, django_capture_on_commit_callbacks, "lesson_quiz")
    assert job.steps.get(name="translate").status == "waiting"
    draft = lesson_drafts(lesson).get(kind="lesson_translation")
    assert draft.data["language"] == "en"
    assert draft.context["offline"] is True  # the original, for staff to translate
    # ...and said so, not passed off as a translation.
    assert draft.subject.startswith("[en] Pendiente de traducción: ")
    assert draft.body.startswith("Pendiente de traducción. La IA sin conexión no traduce")

    _approve(
        lesson, staff_user, django_capture_on_commit_callbacks, "lesson_translation", _in_english
    )
    lesson.refresh_from_db()
    assert lesson.published_at is not None
    english = lesson.translations["en"]
    assert english["materials"]["summary"] == "English summary of the class."
    # Times and right answers come from the original, whatever the translation says.
    assert [p["seconds"] for p in english["materials"]["key_points"]] == [
        p["seconds"] for p in lesson.materials["key_points"]
    ]
    assert [[o["correct"] for o in q["options"]] for q in english["quiz"]["questions"]] == [
        [o["correct"] for o in q["options"]] for q in lesson.quiz["questions"]
    ]
    assert set(job.steps.get(name="pdf").output["files"]) == {"es", "en"}

    with default_storage.open(english["pdf"], "rb") as fh:
        text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(fh.read())).pages)
    assert "English summary of the class." in text
    assert "Embeddings and RAG" in text

    student = students[0]
    student.language = "en"
    student.save()
    session = client.session
    session[SESSION_KEY], session[SESSION_EMAIL_KEY] = student.pk, student.email
    session.save()
    page = client.get(f"/portal/lecciones/{lesson.pk}/").content.decode()
    assert "English summary of the class." in page
    assert "What is explained first?" in page
    pdf = client.get(f"/portal/lecciones/{lesson.pk}/pdf/?idioma=en")
    assert pdf.status_code == 200
    assert client.get(f"/portal/lecciones/{lesson.pk}/pdf/?idioma=pt").status_code == 404


def test_a_translation_edited_out_of_line_with_the_original_fails_its_draft(
    english_course, make_lesson, staff_user, django_capture_on_commit_callbacks
):
    lesson = make_lesson(vtt=make_vtt())
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.start_job(lesson=lesson)
    _approve(lesson, staff_user, django_capture_on_commit_callbacks, "lesson_summary")
    _approve(lesson, staff_user, django_capture_on_commit_callbacks, "lesson_quiz")

    def drop_a_point(data):
        data["materials"]["key_points"] = data["materials"]["key_points"][1:]
        return data

    _approve(
        lesson, staff_user, django_capture_on_commit_callbacks, "lesson_translation", drop_a_point
    )
    draft = lesson_drafts(lesson).get(kind="lesson_translation")
    assert draft.status == DraftStatus.FAILED
    assert "mismos puntos clave" in draft.last_error
    lesson.refresh_from_db()
    assert lesson.translations == {}
    assert lesson.published_at is None


def test_a_course_without_extra_languages_skips_translation(
    make_lesson, staff_user, django_capture_on_commit_callbacks
):
    lesson = make_lesson(vtt=make_vtt())
    with django_capture_on_commit_callbacks(execute=True):
        job = pipeline.start_job(lesson=lesson)
    _approve(lesson, staff_user, django_capture_on_commit_callbacks, "lesson_summary")
    _approve(lesson, staff_user, django_capture_on_commit_callbacks, "lesson_quiz")
    assert job.steps.get(name="translate").status == "skipped"
    assert job.steps.get(name="pdf").output["files"].keys() == {"es"}


def _in_french(data):
    data = {**data, "title": "Embeddings et RAG"}
    data["materials"] = {**data["materials"], "summary": "Résumé en français du cours."}
    return data


def test_a_course_can_ask_materials_in_french_which_is_not_a_site_language(
    course, make_lesson, staff_user, client, django_capture_on_commit_callbacks, settings
):
    """fr is a materials language, not a UI one: its draft is reviewed like any other and
    its PDF's fixed labels come from content's fr catalog."""
    assert "fr" not in dict(settings.LANGUAGES)
    client.force_login(staff_user)
    form = {"title": "Curso FR", "slug": "curso-fr", "language": "es"}
    client.post("/admin/content/course/add/", {**form, "materials_languages": ["fr"]})
    assert Course.objects.get(slug="curso-fr").materials_languages == ["fr"]

    course.materials_languages = ["fr"]
    course.save()
    lesson = make_lesson(vtt=make_vtt())
    with django_capture_on_commit_callbacks(execute=True):
        job = pipeline.start_job(lesson=lesson)
    _approve(lesson, staff_user, django_capture_on_commit_callbacks, "lesson_summary")
    _approve(lesson, staff_user, django_capture_on_commit_callbacks, "lesson_quiz")
    assert job.steps.get(name="translate").status == "waiting"
    draft = lesson_drafts(lesson).get(kind="lesson_translation")
    assert draft.context["language"] == "fr"

    _approve(
        lesson, staff_user, django_capture_on_commit_callbacks, "lesson_translation", _in_french
    )
    lesson.refresh_from_db()
    assert lesson.published_at is not None
    assert set(job.steps.get(name="pdf").output["files"]) == {"es", "fr"}
    with default_storage.open(lesson.translations["fr"]["pdf"], "rb") as fh:
        text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(fh.read())).pages)
    assert "Résumé en français du cours." in text
    assert "Embeddings et RAG" in text
    for label in ("Points clés", "Transcription (langue originale du cours)", "Réponses"):
        assert label in text
    assert "Puntos clave" not in text


def test_languages_outside_the_materials_setting_are_not_translated(course, make_lesson, settings):
    settings.CONTENT_MATERIAL_LANGUAGES = ["es", "en"]
    course.materials_languages = ["en", "de"]
    course.save()
    assert make_lesson(vtt=make_vtt()).translation_languages() == ["en"]
