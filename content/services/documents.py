"""The lesson PDF, rendered by WeasyPrint from `templates/content/pdf/lesson.html`:
cover, summary, key points, the transcript with timestamps, and the quiz with its answer
key on a separate page; page numbers in the footer."""

from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import translation

from content.services import infographic
from content.storage import content_storage
from courseops.ai import transcripts
from courseops.core import pending


def infographic_uri(lesson):
    svg = infographic.approved_svg(lesson)
    return infographic.data_uri(svg) if svg else ""


def lesson_pdf_html(lesson, language=None):
    """The PDF's HTML in the lesson's language, or in an approved translation's."""
    version = lesson.translations[language] if language else None
    materials = version["materials"] if version else lesson.materials or {}
    questions = (version["quiz"] if version else lesson.quiz or {}).get("questions", [])
    with translation.override(language or lesson.language):
        return render_to_string(
            "content/pdf/lesson.html",
            {
                "lesson": lesson,
                "title": version["title"] if version else lesson.title,
                "language": language or lesson.language,
                "translated": bool(version),
                "course": lesson.course,
                "summary": materials.get("summary", ""),
                "key_points": [
                    {"stamp": transcripts.stamp(p["seconds"]), "point": p["point"]}
                    for p in materials.get("key_points", [])
                ],
                "takeaways": materials.get("takeaways", []),
                "next_steps": materials.get("next_steps", []),
                # In the lesson's own language only: its words were reviewed in that one.
                "infographic": "" if version else infographic_uri(lesson),
                "transcript": [
                    {"stamp": transcripts.stamp(s["start"]), "text": s["text"]}
                    for s in lesson.transcript or []
                ],
                "questions": [
                    {
                        **q,
                        "letters": [chr(65 + i) for i in range(len(q["options"]))],
                        "answer": next(
                            chr(65 + i) for i, o in enumerate(q["options"]) if o["correct"]
                        ),
                    }
                    for q in questions
                ],
            },
        )


def render_lesson_pdf(lesson, language=None):
    from weasyprint import HTML  # heavy import: only where a PDF is made

    return HTML(string=lesson_pdf_html(lesson, language)).write_pdf()


def build_lesson_pdfs(*, lesson):
    """Render and store one PDF per language (replacing earlier ones); returns
    {language: storage name}. A lesson marked for new PDFs is unmarked, unless it was
    marked again meanwhile."""
    stale_since = lesson.pdf_stale_since
    try:
        names = _build_pdfs(lesson)
    except Exception as exc:
        # What the lesson's content cannot be rendered from waits for it to be edited.
        permanent = isinstance(exc, PDFRenderError)
        pending.failed(lesson, "pdf_stale_since", stale_since, error=exc, permanent=permanent)
        raise
    pending.done(lesson, "pdf_stale_since", stale_since)
    return names


class PDFRenderError(Exception):
    """The lesson's text could not be made into a PDF: trying again cannot help."""


def _render(lesson, language=None):
    try:
        return render_lesson_pdf(lesson, language)
    except Exception as exc:
        raise PDFRenderError(f"{type(exc).__name__}: {exc}") from exc


def _build_pdfs(lesson):
    content = _render(lesson)
    if lesson.pdf:
        lesson.pdf.delete(save=False)
    lesson.pdf.save(f"leccion-{lesson.pk}-{lesson.language}.pdf", ContentFile(content), save=False)
    names = {lesson.language: lesson.pdf.name}
    translations = dict(lesson.translations)
    for language in lesson.translation_languages():
        if language not in translations:
            continue
        if translations[language].get("pdf"):
            content_storage().delete(translations[language]["pdf"])
        name = content_storage().save(
            f"content/pdf/leccion-{lesson.pk}-{language}.pdf",
            ContentFile(_render(lesson, language)),
        )
        translations[language] = {**translations[language], "pdf": name}
        names[language] = name
    lesson.translations = translations
    lesson.save(update_fields=["pdf", "translations", "updated_at"])
    return names


def rebuild_stale_pdfs():
    """The sweeper: lessons whose new PDFs were asked for and not made (a lost task) are
    enqueued again. Returns how many."""
    from content.models import Lesson
    from content.tasks import build_lesson_pdfs

    pks = pending.take_due(Lesson.objects.all(), "pdf_stale_since")
    for pk in pks:
        build_lesson_pdfs.delay(pk)
    return len(pks)
