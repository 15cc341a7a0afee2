"""The lesson PDF, rendered by WeasyPrint from `templates/content/pdf/lesson.html`:
cover, summary, key points, the transcript with timestamps, and the quiz with its answer
key on a separate page; page numbers in the footer."""

from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import translation

from content import transcripts


def lesson_pdf_html(lesson):
    materials = lesson.materials or {}
    questions = (lesson.quiz or {}).get("questions", [])
    with translation.override(lesson.language):
        return render_to_string(
            "content/pdf/lesson.html",
            {
                "lesson": lesson,
                "course": lesson.course,
                "summary": materials.get("summary", ""),
                "key_points": [
                    {"stamp": transcripts.stamp(p["seconds"]), "point": p["point"]}
                    for p in materials.get("key_points", [])
                ],
                "takeaways": materials.get("takeaways", []),
                "next_steps": materials.get("next_steps", []),
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


def render_lesson_pdf(lesson):
    from weasyprint import HTML  # heavy import: only where a PDF is made

    return HTML(string=lesson_pdf_html(lesson)).write_pdf()


def build_lesson_pdf(*, lesson):
    """Render and store the PDF (replacing the previous one); returns its storage name."""
    content = render_lesson_pdf(lesson)
    if lesson.pdf:
        lesson.pdf.delete(save=False)
    lesson.pdf.save(f"leccion-{lesson.pk}-{lesson.language}.pdf", ContentFile(content), save=False)
    lesson.save(update_fields=["pdf", "updated_at"])
    return lesson.pdf.name
