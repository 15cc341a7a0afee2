"""The lesson infographic: made offline from the approved key points, reviewed like the
other materials (its own draft, editable), then shown in the portal and drawn in the PDF."""

import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.utils import timezone
from pypdf import PdfReader

from content.reviews import INFOGRAPHIC_KIND, SUMMARY_KIND, apply_infographic, lesson_drafts
from content.services.documents import lesson_pdf_html, rebuild_stale_pdfs, render_lesson_pdf
from content.services.infographic import render_svg
from courseops.reviews.services import approve_draft, create_draft
from students.portal.services import SESSION_EMAIL_KEY, SESSION_KEY
from tests.conftest import lost_broker

pytestmark = pytest.mark.django_db
MATERIALS = {
    "summary": "Cómo buscar por significado.",
    "key_points": [
        {"seconds": 65.0, "point": "Los embeddings convierten texto en vectores"},
        {"seconds": 190.0, "point": "La similitud del coseno mide lo cerca que están"},
        {"seconds": 400.0, "point": "RAG = recuperar <fragmentos> y luego generar"},
    ],
    "takeaways": [],
    "next_steps": [],
}


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("editora", is_staff=True, is_superuser=True)


@pytest.fixture
def lesson(make_lesson):
    return make_lesson(quiz={"questions": []}, published_at=timezone.now())


def approve_summary(lesson, staff, django_capture_on_commit_callbacks):
    draft = create_draft(
        kind=SUMMARY_KIND, target=lesson, subject="Resumen", body="…", data=MATERIALS
    )
    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=draft, user=staff)
    return lesson_drafts(lesson).get(kind=INFOGRAPHIC_KIND)


def test_approving_the_summary_queues_the_infographic_for_review_then_staff_edits_go_out(
    lesson, staff, django_capture_on_commit_callbacks
):
    draft = approve_summary(lesson, staff, django_capture_on_commit_callbacks)
    assert draft.status == "pending"
    assert draft.data["title"] == "Embeddings y RAG"
    assert [p["point"] for p in draft.data["points"]][0].startswith("Los embeddings")
    assert "1. [01:05] Los embeddings convierten texto en vectores" in draft.body
    lesson.refresh_from_db()
    assert lesson.infographic == {}  # nothing shown before approval

    edited = {**draft.data, "title": "Embeddings en 3 ideas"}
    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=draft, user=staff, data=edited)
    lesson.refresh_from_db()
    assert lesson.infographic["title"] == "Embeddings en 3 ideas"
    assert lesson.infographic["draft"] == draft.pk


def test_the_svg_is_drawn_offline_with_every_point_its_minute_and_escaped_text():
    svg = render_svg(
        {"title": "Embeddings y RAG", "points": MATERIALS["key_points"]}, course_title="IA"
    )
    assert svg.startswith("<svg")
    assert "Los embeddings convierten texto en vectores" in svg
    assert "06:40" in svg
    assert "&lt;fragmentos&gt;" in svg
    assert "<fragmentos>" not in svg
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")  # nothing to fetch
    # Every coordinate an integer: a float would print "331,0" in Spanish and break the SVG.
    numbers = re.findall(r' (?:x|y|cx|cy|height)="([^"]+)"', svg)
    assert numbers
    assert all(n.isdigit() for n in numbers)


def test_students_see_it_in_the_portal_and_it_is_a_page_of_the_pdf(
    client, students, lesson, staff, django_capture_on_commit_callbacks, settings
):
    lesson.materials = MATERIALS
    lesson.save()
    lesson.pdf.save("leccion.pdf", ContentFile(b"%PDF-1.7 old"))
    draft = approve_summary(lesson, staff, django_capture_on_commit_callbacks)
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=draft, user=staff)
    lesson.refresh_from_db()
    # Approval made the PDF again, now with the infographic.
    assert lesson.pdf.read().startswith(b"%PDF")
    assert lesson.pdf.size > 1000

    session = client.session
    session[SESSION_KEY], session[SESSION_EMAIL_KEY] = students[0].pk, students[0].email
    session.save()
    html = client.get(f"/portal/lecciones/{lesson.pk}/").content.decode()
    assert '<figure class="infographic"><svg' in html
    assert "La similitud del coseno mide lo cerca que están" in html

    assert "data:image/svg+xml;base64," in lesson_pdf_html(lesson)
    pages = PdfReader(io.BytesIO(render_lesson_pdf(lesson))).pages
    infographic_page = next(p for p in pages if "Infografía" in p.extract_text())
    assert "La similitud del coseno" in infographic_page.extract_text()


def test_pdfs_whose_rebuild_task_was_lost_are_made_again_by_the_sweeper(
    lesson, staff, django_capture_on_commit_callbacks
):
    lesson.materials = MATERIALS
    lesson.save()
    lesson.pdf.save("leccion.pdf", ContentFile(b"%PDF-1.7 old"))
    draft = approve_summary(lesson, staff, django_capture_on_commit_callbacks)

    # The broker is down when the approval asks for new PDFs: that task is lost.
    with lost_broker(), django_capture_on_commit_callbacks(execute=True):
        apply_infographic(draft, staff)
    lesson.refresh_from_db()
    assert lesson.pdf.size < 1000  # still the old one
    assert lesson.pdf_stale_since is not None

    assert rebuild_stale_pdfs() == 0  # the task may still be on its way
    with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=False):
        assert rebuild_stale_pdfs() == 1

    lesson.refresh_from_db()
    assert lesson.pdf.size > 1000
    assert "Infografía" in "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(lesson.pdf.read())).pages
    )
    assert lesson.pdf_stale_since is None
    assert rebuild_stale_pdfs() == 0


def test_pdfs_that_cannot_be_rendered_are_not_retried_forever_and_staff_see_why(
    lesson, monkeypatch
):
    import weasyprint

    from content.models import Lesson
    from content.services.documents import PDFRenderError, build_lesson_pdfs
    from courseops.audit.models import AuditEntry
    from courseops.core import pending

    def broken(self, *args, **kwargs):  # the renderer chokes on this lesson's content
        raise ValueError("unsupported image")

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", broken)
    pending.mark(Lesson.objects.filter(pk=lesson.pk), "pdf_stale_since")
    lesson.refresh_from_db()

    with pytest.raises(PDFRenderError):
        build_lesson_pdfs(lesson=lesson)

    lesson.refresh_from_db()
    assert lesson.pdf_stale_since is None
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        assert rebuild_stale_pdfs() == 0
    [entry] = AuditEntry.objects.filter(action="content.lesson.pending_failed")
    assert entry.data["permanent"] is True
    assert "unsupported image" in entry.data["error"]
