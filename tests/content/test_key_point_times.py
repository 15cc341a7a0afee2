"""Key points keep the time their words are said when cues touch (one ends where the next
starts), in the summary, the PDF's and portal's stamps and the offline quiz's answers."""

import json

import pytest

from content.reviews import lesson_drafts
from content.services import pipeline
from courseops.ai import transcripts

pytestmark = pytest.mark.django_db
# Cue 3 starts at 9.420 exactly where cue 2 ends, and so on: no gaps, as Zoom and most
# editors write them.
CUES = [
    (0.0, 3.1, "Hoy hablamos de agentes."),
    (3.1, 9.42, "Primero definimos qué es un modelo de lenguaje."),
    (9.42, 14.7, "Los embeddings convierten texto en vectores."),
    (14.7, 22.1, "La búsqueda semántica compara esos vectores."),
    (22.1, 27.3, "RAG añade documentos recuperados al contexto."),
    (27.3, 35.4, "Un agente elige herramientas para cumplir un objetivo."),
    (35.4, 41.0, "Las evaluaciones miden si el agente acierta."),
    (41.0, 47.5, "Para terminar, repasamos los costes."),
]


def _vtt():
    def clock(seconds):
        minutes, rest = divmod(seconds, 60)
        return f"00:{int(minutes):02d}:{rest:06.3f}"

    lines = ["WEBVTT", ""]
    for start, end, text in CUES:
        lines += [f"{clock(start)} --> {clock(end)}", text, ""]
    return "\n".join(lines)


SAID_AT = {round(start, 1): text for start, _end, text in CUES}
SAID_AT_STAMP = {transcripts.stamp(start): text for start, _end, text in CUES}


def test_a_time_where_two_cues_touch_belongs_to_the_cue_that_starts_then():
    segments = [{"start": s, "end": e, "text": t} for s, e, t in CUES]

    assert transcripts.nearest_segment(segments, 9.42)["start"] == 9.42
    assert transcripts.nearest_segment(segments, 22.1)["start"] == 22.1
    assert transcripts.nearest_segment(segments, 35.4)["start"] == 35.4
    assert transcripts.nearest_segment(segments, 9.0)["start"] == 3.1
    assert transcripts.nearest_segment(segments, 47.5)["start"] == 41.0  # the very end
    assert transcripts.nearest_segment(segments, 60)["start"] == 41.0  # past the end


def test_key_points_and_the_offline_quiz_name_the_minute_their_words_are_said(
    make_lesson, staff_user, django_capture_on_commit_callbacks
):
    lesson = make_lesson(vtt=_vtt())
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.start_job(lesson=lesson, user=staff_user)

    drafts = {d.kind: d for d in lesson_drafts(lesson)}
    key_points = drafts["lesson_summary"].data["key_points"]
    if isinstance(key_points, str):
        key_points = json.loads(key_points)
    assert {p["seconds"] for p in key_points} >= {9.4, 27.3}
    for point in key_points:
        assert (
            SAID_AT[point["seconds"]] in point["point"]
            or point["point"] in SAID_AT[point["seconds"]]
        )
    stamps = [transcripts.stamp(p["seconds"]) for p in key_points]
    assert "00:09" in stamps
    assert "00:03" not in stamps or SAID_AT_STAMP["00:03"] in [p["point"] for p in key_points]

    questions = drafts["lesson_quiz"].data["questions"]
    if isinstance(questions, str):
        questions = json.loads(questions)
    assert questions
    for question in questions:
        stamp = question["question"].split("minuto ")[1].split(" ")[0]
        [correct] = [o["text"] for o in question["options"] if o["correct"]]
        said = SAID_AT_STAMP[stamp]
        # A cloze built from what was said then: the sentence with its key word hidden.
        assert correct in said, question
        assert "_____" in question["question"]
        filled = question["question"].split("«")[1].split("»")[0].replace("_____", correct)
        assert filled.rstrip("…") in said
