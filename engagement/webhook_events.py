"""The engagement app's outbound webhook events (courseops.outbound). Never the question's
text or the student's details: ids, channel, level and the names of the risk factors."""

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
        name="question.handed_over",
        label=_("Pregunta pasada al equipo"),
        description=_("Una pregunta que la base de conocimiento no pudo responder: hay un ticket."),
        schema=obj(
            {
                "question_id": ID,
                "student_id": NULLABLE_ID,
                "ticket_id": ID,
                "channel": TEXT,
                "language": TEXT,
                "reason": TEXT,
            }
        ),
        example={
            "question_id": 88,
            "student_id": 1042,
            "ticket_id": 301,
            "channel": "portal",
            "language": "es",
            "reason": "Ninguna respuesta de la base de conocimiento.",
        },
    )
)
register_event(
    EventType(
        name="student.at_risk",
        label=_("Estudiante en riesgo"),
        description=_("La puntuación diaria de riesgo de un estudiante pasó a nivel alto."),
        schema=obj(
            {
                "student_id": ID,
                "score": INTEGER,
                "level": TEXT,
                "factors": {"type": "array", "items": TEXT},
                "computed_at": DATETIME,
            }
        ),
        example={
            "student_id": 1042,
            "score": 72,
            "level": "high",
            "factors": ["inactive_days", "missed_webinars"],
            "computed_at": "2026-11-24T06:00:00Z",
        },
    )
)


def question_handed_over(question, *, ticket, reason):
    announce(
        "question.handed_over",
        lambda: {
            "question_id": question.pk,
            "student_id": question.student_id,
            "ticket_id": ticket.pk,
            "channel": question.channel,
            "language": question.language,
            "reason": reason[:200],
        },
        person_email=question.email,
    )


def students_at_risk(scores):
    """`scores`: RiskScore rows (with their student) that just became high."""
    for risk in scores:
        announce(
            "student.at_risk",
            lambda risk=risk: {
                "student_id": risk.student_id,
                "score": risk.score,
                "level": risk.level,
                "factors": sorted({factor["factor"] for factor in risk.factors}),
                "computed_at": iso(risk.computed_at),
            },
            person_email=risk.student.email,
        )
