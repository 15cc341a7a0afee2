"""The surveys app's outbound webhook event (courseops.outbound): an answer's score, never
its comment or the respondent's address."""

from django.utils.translation import gettext_lazy as _

from courseops.outbound.catalogue import (
    DATETIME,
    ID,
    INTEGER,
    NULLABLE_ID,
    TEXT,
    EventType,
    iso,
    obj,
    register_event,
)
from courseops.outbound.services.announce import announce

register_event(
    EventType(
        name="survey.answered",
        label=_("Encuesta respondida"),
        description=_("Una persona puntuó una encuesta (satisfacción o NPS); una vez por persona."),
        schema=obj(
            {
                "answer_id": ID,
                "survey": obj(
                    {
                        "id": ID,
                        "kind": TEXT,
                        "webinar_id": NULLABLE_ID,
                        "lesson_id": NULLABLE_ID,
                        "scale": {
                            "type": "array",
                            "items": INTEGER,
                            "minItems": 2,
                            "maxItems": 2,
                        },
                    }
                ),
                "score": INTEGER,
                "has_comment": {"type": "boolean"},
                "student_id": NULLABLE_ID,
                "answered_at": DATETIME,
            }
        ),
        example={
            "answer_id": 7001,
            "survey": {
                "id": 40,
                "kind": "nps_day_30",
                "webinar_id": None,
                "lesson_id": None,
                "scale": [0, 10],
            },
            "score": 9,
            "has_comment": True,
            "student_id": 1042,
            "answered_at": "2026-11-24T15:00:00Z",
        },
    )
)


def survey_answered(answer, survey):
    announce(
        "survey.answered",
        lambda: {
            "answer_id": answer.pk,
            "survey": {
                "id": survey.pk,
                "kind": survey.kind,
                "webinar_id": survey.webinar_id,
                "lesson_id": survey.lesson_id,
                "scale": list(survey.scale),
            },
            "score": answer.score,
            "has_comment": bool(answer.comment),
            "student_id": answer.student_id,
            "answered_at": iso(answer.answered_at),
        },
        person_email=answer.respondent,
    )
