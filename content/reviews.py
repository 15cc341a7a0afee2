"""Staff review of a lesson's materials before students see them: kinds `lesson_summary`
(summary, key points, takeaways, next steps) and `lesson_quiz`, edited as structured data
in the review queue. Approving copies the data onto the lesson and resumes its job.

A draft belongs to one run of its step (its `revision`): re-running the quiz step makes
a new quiz draft; the review step waits for the drafts of the current runs.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from content.models import JobStep, Lesson
from content.services import generation, infographic, translations
from content.services.pipeline import StepFailed, StepWaiting, enqueue_on_commit
from courseops.ai import transcripts
from courseops.core import pending
from courseops.reviews.models import Draft, DraftStatus
from courseops.reviews.registry import ApplyError, ReviewKind
from courseops.reviews.rollout import shadow_ended
from courseops.reviews.services import create_draft

SUMMARY_KIND = "lesson_summary"
QUIZ_KIND = "lesson_quiz"
INFOGRAPHIC_KIND = "lesson_infographic"
SOURCE_STEP = {SUMMARY_KIND: JobStep.Name.SUMMARY, QUIZ_KIND: JobStep.Name.QUIZ}
LESSON_FIELD = {SUMMARY_KIND: "materials", QUIZ_KIND: "quiz"}


def _lesson(draft):
    lesson = draft.target
    if not isinstance(lesson, Lesson):
        raise ApplyError(_("La lección de este borrador ya no existe."), permanent=True)
    return lesson


def validate_summary(data):
    data = data or {}
    if not str(data.get("summary") or "").strip():
        raise ApplyError(_("El resumen está vacío."), permanent=True)
    points = data.get("key_points")
    if not isinstance(points, list) or not points:
        raise ApplyError(_("Faltan los puntos clave."), permanent=True)
    for point in points:
        if not isinstance(point, dict) or not str(point.get("point") or "").strip():
            raise ApplyError(_("Hay un punto clave sin texto."), permanent=True)
        if not isinstance(point.get("seconds"), int | float) or point["seconds"] < 0:
            raise ApplyError(_("Cada punto clave necesita su segundo (un número)."), permanent=True)
    for key in ("takeaways", "next_steps"):
        if not isinstance(data.get(key, []), list):
            raise ApplyError(_("«%(key)s» debe ser una lista.") % {"key": key}, permanent=True)
    return {
        "summary": data["summary"].strip(),
        "key_points": sorted(points, key=lambda p: p["seconds"]),
        "takeaways": [str(t) for t in data.get("takeaways", []) if str(t).strip()],
        "next_steps": [str(t) for t in data.get("next_steps", []) if str(t).strip()],
    }


def apply_summary(draft, user):
    lesson = _lesson(draft)
    lesson.materials = {**validate_summary(draft.data), "draft": draft.pk}
    lesson.save(update_fields=["materials", "updated_at"])
    draft_infographic(lesson, summary_draft=draft)
    _resume(lesson)


def draft_infographic(lesson, *, summary_draft):
    """The infographic's words for review, from the summary just approved (once per
    approved summary)."""
    existing = lesson_drafts(lesson).filter(
        kind=INFOGRAPHIC_KIND, context__summary_draft=summary_draft.pk
    )
    if existing.exists():
        return existing.first()
    data = infographic.from_materials(lesson)
    return create_draft(
        kind=INFOGRAPHIC_KIND,
        target=lesson,
        subject=f"{_('Infografía')}: {lesson.title}",
        body=infographic.text_body(data),
        data=data,
        context={"summary_draft": summary_draft.pk},
    )


def apply_infographic(draft, user):
    """Approved: students see it in the portal, and the PDFs already made are made again
    with it (a lesson whose PDF step has not run yet gets it then)."""
    lesson = _lesson(draft)
    try:
        data = infographic.validate(draft.data)
    except infographic.InfographicInvalid as exc:
        raise ApplyError(str(exc), permanent=True) from exc
    lesson.infographic = {**data, "draft": draft.pk}
    lesson.save(update_fields=["infographic", "updated_at"])
    if lesson.pdf:
        from content.tasks import build_lesson_pdfs

        # The mark is the record (a sweeper finds it if the task is lost); the task is
        # the quick way.
        pending.mark(Lesson.objects.filter(pk=lesson.pk), "pdf_stale_since")
        lesson_id = lesson.pk
        transaction.on_commit(lambda: build_lesson_pdfs.delay(lesson_id))


def apply_quiz(draft, user):
    lesson = _lesson(draft)
    try:
        quiz = generation.validate_quiz(draft.data)
    except generation.QuizInvalid as exc:
        raise ApplyError(str(exc), permanent=True) from exc
    lesson.quiz = {**quiz, "draft": draft.pk}
    lesson.save(update_fields=["quiz", "updated_at"])
    _resume(lesson)


def _resume(lesson):
    job_id = JobStep.objects.filter(job__lesson=lesson).values_list("job_id", flat=True).first()
    if job_id:
        enqueue_on_commit(job_id)


def register():
    """Called from `ContentConfig.ready()`."""
    from courseops.reviews.registry import register_kind

    register_kind(
        ReviewKind(name=SUMMARY_KIND, label=gettext_lazy("Resumen de lección"), apply=apply_summary)
    )
    register_kind(
        ReviewKind(name=QUIZ_KIND, label=gettext_lazy("Cuestionario de lección"), apply=apply_quiz)
    )
    register_kind(
        ReviewKind(
            name=INFOGRAPHIC_KIND,
            label=gettext_lazy("Infografía de lección"),
            apply=apply_infographic,
        )
    )
    translations.register()


def _summary_body(data):
    lines = [data["summary"], "", _("Puntos clave:")]
    lines += [f"[{transcripts.stamp(p['seconds'])}] {p['point']}" for p in data["key_points"]]
    lines += ["", _("Conclusiones:"), *[f"- {t}" for t in data.get("takeaways", [])]]
    lines += ["", _("Próximos pasos:"), *[f"- {t}" for t in data.get("next_steps", [])]]
    return "\n".join(lines)


def _quiz_body(data):
    lines = []
    for number, question in enumerate(data["questions"], start=1):
        lines.append(f"{number}. {question['question']}")
        lines += [f"   {'*' if o['correct'] else '-'} {o['text']}" for o in question["options"]]
        explanation = question.get("explanation") or _("(sin explicación)")
        lines.append(f"   {_('Por qué')}: {explanation}")
    return "\n".join(lines)


def lesson_drafts(lesson):
    return Draft.objects.filter(
        content_type=ContentType.objects.get_for_model(Lesson), object_id=str(lesson.pk)
    )


def waited_draft(drafts):
    """The newest of `drafts`, the one a step waits for; None when there is none or it was
    kept in shadow and its shadow has ended (it would never be approved: the step asks for
    a new one, in the arm its kind has now)."""
    draft = drafts.order_by("-pk").first()
    if draft is not None and shadow_ended(draft):
        return None
    return draft


def _draft_for(job, lesson, kind, step):
    revision = f"{step.pk}.{step.finished_at.isoformat() if step.finished_at else ''}"
    existing = waited_draft(lesson_drafts(lesson).filter(kind=kind, context__revision=revision))
    if existing is not None:
        return existing
    data = {
        key: value
        for key, value in step.output.items()
        if key not in ("offline", generation.AI_USAGE)
    }
    body = _summary_body(data) if kind == SUMMARY_KIND else _quiz_body(data)
    label = _("Resumen") if kind == SUMMARY_KIND else _("Cuestionario")
    return create_draft(
        kind=kind,
        target=lesson,
        subject=f"{label}: {lesson.title}",
        body=body,
        data=data,
        context={"revision": revision, "job": job.pk, "offline": step.output.get("offline", False)},
        ai_usage_id=step.output.get(generation.AI_USAGE),
    )


def await_approval(*, job, run):
    lesson = job.lesson
    steps = {s.name: s for s in JobStep.objects.filter(job=job, name__in=SOURCE_STEP.values())}
    drafts = {
        kind: _draft_for(job, lesson, kind, steps[name]) for kind, name in SOURCE_STEP.items()
    }
    lesson.refresh_from_db(fields=["materials", "quiz"])
    waiting = []
    for kind, draft in drafts.items():
        draft.refresh_from_db(fields=["status", "last_error"])
        if draft.status == DraftStatus.REJECTED:
            raise StepFailed(
                _("Borrador %(id)s rechazado: vuelve a ejecutar el paso «%(step)s».")
                % {"id": draft.pk, "step": SOURCE_STEP[kind].label},
                permanent=True,
            )
        if getattr(lesson, LESSON_FIELD[kind]).get("draft") != draft.pk:
            waiting.append(draft)
    if waiting:
        run.log(
            "esperando revisión: " + ", ".join(f"{d.kind} #{d.pk} ({d.status})" for d in waiting)
        )
        raise StepWaiting(", ".join(f"{d.kind} #{d.pk}" for d in waiting))
    return {kind: draft.pk for kind, draft in drafts.items()}
