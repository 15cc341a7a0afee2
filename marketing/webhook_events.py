"""The marketing app's outbound webhook events (courseops.outbound): a new contact and a
contact who became a student. Ids, stage and where they came from; never name or email."""

from django.utils.translation import gettext_lazy as _

from courseops.outbound.catalogue import (
    DATETIME,
    ID,
    NULLABLE_ID,
    TEXT,
    EventType,
    iso,
    obj,
    register_event,
)
from courseops.outbound.services.announce import announce

LEAD = obj(
    {
        "id": ID,
        "stage": TEXT,
        "first_source": TEXT,
        "language": TEXT,
        "student_id": NULLABLE_ID,
        "created_at": DATETIME,
    }
)
LEAD_EXAMPLE = {
    "id": 5120,
    "stage": "lead",
    "first_source": "landing:ia-para-pymes",
    "language": "es",
    "student_id": None,
    "created_at": "2026-11-24T15:00:00Z",
}


def lead_data(lead):
    return {
        "id": lead.pk,
        "stage": lead.stage,
        "first_source": lead.first_source,
        "language": lead.language,
        "student_id": lead.student_id,
        "created_at": iso(lead.created_at),
    }


register_event(
    EventType(
        name="lead.created",
        label=_("Nuevo contacto"),
        description=_("Un contacto nuevo (formulario, landing, inscripción a un webinar o API)."),
        schema=obj({"lead": LEAD}),
        example={"lead": LEAD_EXAMPLE},
    )
)
register_event(
    EventType(
        name="lead.converted",
        label=_("Contacto convertido en estudiante"),
        description=_("Un contacto se inscribió como estudiante (misma persona, mismo correo)."),
        schema=obj({"lead": LEAD, "student_id": ID}),
        example={
            "lead": {**LEAD_EXAMPLE, "stage": "customer", "student_id": 1042},
            "student_id": 1042,
        },
    )
)


def lead_created(lead):
    announce("lead.created", lambda: {"lead": lead_data(lead)}, person_email=lead.email)


def lead_converted(lead, student):
    announce(
        "lead.converted",
        lambda: {"lead": lead_data(lead), "student_id": student.pk},
        person_email=lead.email,
    )
