"""person.erased (courseops.outbound): an integrator that copied a person's records
(a CRM, a sheet) learns which of its ids to forget. The event names no one: only the
erasure's id and the ids of the records that were that person's."""

from django.utils.translation import gettext_lazy as _

from courseops.outbound.catalogue import DATETIME, ID, TEXT, EventType, iso, obj, register_event
from courseops.outbound.services.announce import announce

register_event(
    EventType(
        name="person.erased",
        label=_("Persona borrada"),
        description=_(
            "Se borraron los datos de una persona (RGPD): borre también lo que copió de ella."
        ),
        schema=obj(
            {
                "erasure_id": ID,
                "erased_at": DATETIME,
                "records": {
                    "type": "array",
                    "items": obj({"type": TEXT, "id": ID}),
                },
            }
        ),
        example={
            "erasure_id": 17,
            "erased_at": "2026-11-24T15:00:00Z",
            "records": [
                {"type": "student", "id": 1042},
                {"type": "lead", "id": 5120},
                {"type": "registration", "id": 9120},
            ],
        },
    )
)


def person_erased(erasure, objects):
    """Announced with no person attached, so the erasure does not drop it."""
    records = sorted(
        {(obj._meta.model_name, obj.pk) for obj in objects if obj.pk},
    )
    announce(
        "person.erased",
        lambda: {
            "erasure_id": erasure.pk,
            "erased_at": iso(erasure.erased_at),
            "records": [{"type": kind, "id": pk} for kind, pk in records],
        },
    )
