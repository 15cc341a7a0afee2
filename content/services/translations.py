"""Materials in the extra languages a course asks for (`Course.materials_languages`):
the reviewed summary, key points and quiz translated through the AI gateway, one
`lesson_translation` draft per language for staff to review, one PDF per language.

A translation belongs to the approved originals it was made from (its `revision`): when
staff approve a new summary or quiz, the translations are made again. Times of key points
and the right answers are copied from the original, never taken from the translation.
"""

import json

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from content.models import Lesson
from content.services.pipeline import StepFailed, StepSkipped, StepWaiting, enqueue_on_commit
from courseops.ai import generate
from courseops.reviews.models import DraftStatus
from courseops.reviews.registry import ApplyError, ReviewKind
from courseops.reviews.services import create_draft

KIND = "lesson_translation"


class TranslationInvalid(ValueError):
    """The translation does not keep the original's structure."""


def revision(lesson):
    return f"{lesson.materials.get('draft')}.{lesson.quiz.get('draft')}"


def _original(lesson):
    materials = {
        k: lesson.materials[k] for k in ("summary", "key_points", "takeaways", "next_steps")
    }
    return materials, {"questions": lesson.quiz["questions"]}


def aligned(lesson, data):
    """The translation with the original's times and right answers; raises
    TranslationInvalid when points, questions or options do not line up one to one."""
    materials, quiz = _original(lesson)
    points, questions = data.get("key_points") or [], data.get("questions") or []
    if len(points) != len(materials["key_points"]):
        raise TranslationInvalid(_("La traducción no tiene los mismos puntos clave."))
    if len(questions) != len(quiz["questions"]):
        raise TranslationInvalid(_("La traducción no tiene las mismas preguntas."))
    translated_questions = []
    for original, question in zip(quiz["questions"], questions, strict=True):
        options = question.get("options") or []
        if len(options) != len(original["options"]):
            raise TranslationInvalid(_("Una pregunta traducida no tiene las mismas opciones."))
        translated_questions.append(
            {
                "question": str(question.get("question") or ""),
                "options": [
                    {"text": str(o.get("text") or ""), "correct": source["correct"]}
                    for o, source in zip(options, original["options"], strict=True)
                ],
                "explanation": str(question.get("explanation") or ""),
            }
        )
    return {
        "title": str(data.get("title") or lesson.title)[:200],
        "materials": {
            "summary": str(data.get("summary") or ""),
            "key_points": [
                {"seconds": source["seconds"], "point": str(p.get("point") or "")}
                for p, source in zip(points, materials["key_points"], strict=True)
            ],
            "takeaways": [str(t) for t in data.get("takeaways") or []],
            "next_steps": [str(t) for t in data.get("next_steps") or []],
        },
        "quiz": {"questions": translated_questions},
    }


def translate(*, lesson, language, run):
    materials, quiz = _original(lesson)
    dump = lambda value: json.dumps(value, ensure_ascii=False)  # noqa: E731
    result = generate(
        "lesson_translation",
        {
            "title": lesson.title,
            "source_language": dict(settings.LANGUAGES)[lesson.language],
            "materials": dump(materials),
            "quiz": dump(quiz),
            "draft": {
                "summary": materials["summary"],
                "key_points": dump(materials["key_points"]),
                "takeaways": dump(materials["takeaways"]),
                "next_steps": dump(materials["next_steps"]),
                "questions": dump(quiz["questions"]),
            },
        },
        language=language,
        requested_by="content.translate",
    )
    run.add_cost(result)
    return aligned(lesson, result.data), result.offline


def _draft(lesson, language, run):
    from content.reviews import lesson_drafts, waited_draft

    current = revision(lesson)
    existing = waited_draft(
        lesson_drafts(lesson)
        .filter(kind=KIND, context__language=language, context__revision=current)
        .exclude(status=DraftStatus.REJECTED)
    )
    if existing is not None:
        return existing
    if (
        lesson_drafts(lesson)
        .filter(
            kind=KIND,
            context__language=language,
            context__revision=current,
            status=DraftStatus.REJECTED,
        )
        .exists()
    ):
        raise StepFailed(
            _("Traducción al %(lang)s rechazada: vuelve a ejecutar el paso de traducciones.")
            % {"lang": language},
            permanent=True,
        )
    try:
        data, offline = translate(lesson=lesson, language=language, run=run)
    except TranslationInvalid as exc:
        raise StepFailed(str(exc)) from exc
    run.log(f"traducción al {language} lista para revisar")
    subject, body = f"[{language}] {data['title']}", data["materials"]["summary"]
    if offline:
        # The offline provider cannot translate: staff get the original to translate,
        # said plainly, never passed off as a translation.
        pending = _("Pendiente de traducción")
        subject = f"[{language}] {pending}: {data['title']}"
        body = "{}. {}\n\n{}".format(
            pending,
            _("La IA sin conexión no traduce: traduce este texto original antes de aprobar."),
            body,
        )
    return create_draft(
        kind=KIND,
        target=lesson,
        subject=subject,
        body=body,
        data={"language": language, **data},
        context={"language": language, "revision": current, "offline": offline},
    )


def await_translations(*, job, run):
    """Drafts for each language still to translate; waits until all are applied."""
    lesson = job.lesson
    languages = lesson.translation_languages()
    if not languages:
        raise StepSkipped(_("El curso no pide materiales en otros idiomas."))
    current = revision(lesson)
    waiting = []
    for language in languages:
        if (lesson.translations.get(language) or {}).get("revision") != current:
            waiting.append(f"{language} #{_draft(lesson, language, run).pk}")
    if waiting:
        raise StepWaiting(", ".join(waiting))
    return {"languages": languages}


def apply_translation(draft, user):
    from content.reviews import validate_summary
    from content.services.generation import QuizInvalid, validate_quiz

    lesson = draft.target
    if not isinstance(lesson, Lesson):
        raise ApplyError(_("La lección de este borrador ya no existe."), permanent=True)
    data = draft.data or {}
    language = draft.context.get("language")
    try:
        translation = aligned(
            lesson,
            {**data.get("materials", {}), **data.get("quiz", {}), "title": data.get("title")},
        )
        validate_quiz(translation["quiz"])
    except (TranslationInvalid, QuizInvalid, KeyError, TypeError, AttributeError) as exc:
        raise ApplyError(str(exc), permanent=True) from exc
    validate_summary(translation["materials"])
    lesson.translations = {
        **lesson.translations,
        language: {**translation, "revision": draft.context.get("revision"), "draft": draft.pk},
    }
    lesson.save(update_fields=["translations", "updated_at"])
    job_id = getattr(getattr(lesson, "job", None), "pk", None)
    if job_id:
        enqueue_on_commit(job_id)


def register():
    from courseops.reviews.registry import register_kind

    register_kind(
        ReviewKind(name=KIND, label=gettext_lazy("Traducción de lección"), apply=apply_translation)
    )
