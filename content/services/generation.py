"""A lesson's materials from its transcript through the AI gateway, map-reduced:
notes per part of the transcript (`lesson_notes`), joined into the summary, key points,
takeaways and next steps (`lesson_summary`), then the quiz (`lesson_quiz`).

Everything is grounded in the transcript: key points keep only times that fall inside
the lesson (snapped to the segment being said then), and the quiz is validated. With the
offline provider the drafts are extractive, taken from the transcript itself.
"""

import json
import re

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from courseops.ai import generate, transcripts

QUIZ_QUESTIONS = 5
# An offline cloze question hides a word of at least this many letters.
KEYWORD_MIN = 5
MIN_QUIZ_QUESTIONS = 1
MIN_OPTIONS, MAX_OPTIONS = 2, 6
MAX_KEY_POINTS = 10
# Output key holding the AI ledger row (AIUsage id) of the call that wrote a summary or
# quiz: its review draft links to it, so the dashboard knows the prompt version.
AI_USAGE = "ai_usage"


class QuizInvalid(ValueError):
    """A quiz (generated or edited by staff) that students cannot take as it is."""


def _short(text, limit):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _spread(items, count):
    """`count` items evenly spread over `items`, in order."""
    if len(items) <= count:
        return list(items)
    return (
        [items[round(i * (len(items) - 1) / (count - 1))] for i in range(count)]
        if count > 1
        else items[:1]
    )


def _json(value):
    return json.dumps(value, ensure_ascii=False)


# --- Map: notes per part ------------------------------------------------------------------


def notes_for_part(*, lesson, segments, part, parts, run):
    offline = {
        "summary": _short(transcripts.plain_text(segments[:6]), 700),
        "key_points": _json(
            [{"seconds": s["start"], "point": _short(s["text"], 200)} for s in _spread(segments, 4)]
        ),
    }
    result = generate(
        "lesson_notes",
        {
            "title": lesson.title,
            "part": part,
            "parts": parts,
            "transcript": transcripts.timed_lines(segments),
            "draft": offline,
        },
        language=lesson.language,
        requested_by="content.notes",
    )
    run.add_cost(result)
    return {"summary": result.data["summary"], "key_points": result.data["key_points"]}


def lesson_notes(*, lesson, segments, run):
    groups = transcripts.chunks(segments, settings.CONTENT_CHUNK_CHARS)
    notes = []
    for number, group in enumerate(groups, start=1):
        notes.append(
            notes_for_part(lesson=lesson, segments=group, part=number, parts=len(groups), run=run)
        )
        run.progress(100 * number / len(groups))
    run.log(f"{len(groups)} parte(s) de transcripción resumidas")
    return notes


# --- Reduce: summary, key points, takeaways, next steps -----------------------------------


def grounded_key_points(key_points, segments):
    """Key points whose time falls in the lesson, snapped to the segment said then."""
    end = transcripts.duration(segments)
    grounded, seen = [], set()
    for item in key_points:
        point = " ".join(str(item.get("point", "")).split())
        try:
            seconds = float(item.get("seconds"))
        except (TypeError, ValueError):
            continue
        if not point or seconds < 0 or seconds > end + 1 or point.lower() in seen:
            continue
        segment = transcripts.nearest_segment(segments, seconds)
        seen.add(point.lower())
        grounded.append({"seconds": round(segment["start"], 1), "point": point})
    return sorted(grounded, key=lambda p: p["seconds"])[:MAX_KEY_POINTS]


def _notes_text(notes):
    lines = []
    for number, part in enumerate(notes, start=1):
        lines.append(f"Parte {number}: {part['summary']}")
        lines += [f"- [{p['seconds']:.0f} s] {p['point']}" for p in part["key_points"]]
    return "\n".join(lines)


def _offline_summary(notes, language):
    points = [p for part in notes for p in part["key_points"]]
    chosen = _spread(points, 8)
    with translation.override(language):
        next_steps = [
            _("Repasa los puntos clave con el minuto de la clase en que se explican."),
            _("Responde el cuestionario de la lección para comprobar lo aprendido."),
            _("Aplica una de las ideas de la clase a un caso de tu trabajo esta semana."),
        ]
    return {
        "summary": _short(" ".join(part["summary"] for part in notes), 1500),
        "key_points": _json(chosen),
        "takeaways": _json([p["point"] for p in _spread(chosen, 3)]),
        "next_steps": _json(next_steps),
    }


def lesson_summary(*, lesson, notes, segments, run):
    result = generate(
        "lesson_summary",
        {
            "title": lesson.title,
            "notes": _notes_text(notes),
            "draft": _offline_summary(notes, lesson.language),
        },
        language=lesson.language,
        requested_by="content.summary",
    )
    run.add_cost(result)
    data = dict(result.data)
    data["key_points"] = grounded_key_points(data["key_points"], segments)
    if not data["key_points"]:
        raise QuizInvalid(_("Ningún punto clave cae dentro de la duración de la clase."))
    data["offline"] = result.offline
    data[AI_USAGE] = result.usage.pk  # the draft made from this output names its ledger row
    return data


# --- Quiz ---------------------------------------------------------------------------------


def _keyword(text):
    """The word a cloze question hides: the longest word of the point (ties: the first),
    at least KEYWORD_MIN letters, or None."""
    words = [w for w in re.findall(r"[^\W\d_]+", text) if len(w) >= KEYWORD_MIN]
    return max(words, key=len) if words else None


def _offline_quiz(key_points, language):
    """Without a model: one fill-in-the-blank question per key point, built from its own
    words (the point with its key word hidden), the other points' key words as the wrong
    options."""
    keywords = {}
    for point in key_points:
        word = _keyword(point["point"])
        if word and word.lower() not in {k.lower() for k in keywords.values()}:
            keywords[id(point)] = word
    questions = []
    with translation.override(language):
        for index, point in enumerate(key_points):
            word = keywords.get(id(point))
            others = [w for key, w in keywords.items() if key != id(point)][:3]
            if word is None or not others:
                continue
            options = [{"text": w, "correct": False} for w in others]
            options.insert(index % (len(options) + 1), {"text": word, "correct": True})
            when = transcripts.stamp(point["seconds"])
            blanked = re.sub(rf"\b{re.escape(word)}\b", "_____", point["point"], count=1)
            questions.append(
                {
                    "question": _(
                        "En el minuto %(when)s de la clase: «%(text)s». ¿Qué palabra falta?"
                    )
                    % {"when": when, "text": blanked},
                    "options": options,
                    "explanation": _("En el minuto %(when)s se explica: «%(point)s».")
                    % {"when": when, "point": point["point"]},
                }
            )
            if len(questions) == QUIZ_QUESTIONS:
                break
    return {"questions": _json(questions)}


def validate_quiz(data):
    """The quiz's questions cleaned up; raises QuizInvalid saying what is wrong.

    Each question needs text, 2-6 options with no repeats, and exactly one correct.
    """
    questions = (data or {}).get("questions")
    if not isinstance(questions, list) or not questions:
        raise QuizInvalid(_("El cuestionario no tiene preguntas."))
    cleaned = []
    for number, question in enumerate(questions, start=1):
        problem = _question_problem(question)
        if problem:
            raise QuizInvalid(_("Pregunta %(n)d: %(problem)s") % {"n": number, "problem": problem})
        cleaned.append(
            {
                "question": " ".join(question["question"].split()),
                "options": [
                    {"text": " ".join(o["text"].split()), "correct": o["correct"] is True}
                    for o in question["options"]
                ],
                "explanation": " ".join(str(question.get("explanation") or "").split()),
            }
        )
    return {"questions": cleaned}


def _question_problem(question):
    if not isinstance(question, dict) or not str(question.get("question") or "").strip():
        return _("falta el enunciado.")
    options = question.get("options")
    if not isinstance(options, list) or not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        return _("debe tener entre %(min)d y %(max)d opciones.") % {
            "min": MIN_OPTIONS,
            "max": MAX_OPTIONS,
        }
    if not all(isinstance(o, dict) and str(o.get("text") or "").strip() for o in options):
        return _("hay una opción sin texto.")
    texts = [" ".join(o["text"].lower().split()) for o in options]
    if len(set(texts)) != len(texts):
        return _("hay opciones repetidas.")
    correct = sum(1 for o in options if o.get("correct") is True)
    if correct != 1:
        return _("debe tener exactamente una opción correcta (tiene %(n)d).") % {"n": correct}
    return None


def lesson_quiz(*, lesson, summary, run):
    """Generate the quiz; questions that break the rules are dropped (and logged)."""
    key_points = summary["key_points"]
    result = generate(
        "lesson_quiz",
        {
            "title": lesson.title,
            "summary": summary["summary"],
            "key_points": "\n".join(
                f"[{transcripts.stamp(p['seconds'])}] {p['point']}" for p in key_points
            ),
            "questions": QUIZ_QUESTIONS,
            "draft": _offline_quiz(key_points, lesson.language),
        },
        language=lesson.language,
        requested_by="content.quiz",
    )
    run.add_cost(result)
    valid = []
    for number, question in enumerate(result.data["questions"], start=1):
        problem = _question_problem(question)
        if problem:
            run.log(f"pregunta {number} descartada: {problem}")
            continue
        valid.append(question)
    if len(valid) < MIN_QUIZ_QUESTIONS:
        raise QuizInvalid(_("El cuestionario generado no tiene ninguna pregunta válida."))
    quiz = validate_quiz({"questions": valid})
    quiz["offline"] = result.offline
    quiz[AI_USAGE] = result.usage.pk
    return quiz


def score_quiz(quiz, answers):
    """(score, max_score) for `answers` {question index (str): option index (str)}."""
    score = 0
    for index, question in enumerate(quiz.get("questions", [])):
        chosen = answers.get(str(index))
        options = question["options"]
        if chosen is not None and chosen.isdigit() and int(chosen) < len(options):
            score += options[int(chosen)]["correct"] is True
    return score, len(quiz.get("questions", []))
