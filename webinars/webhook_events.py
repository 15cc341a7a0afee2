"""The webinars app's outbound webhook events (courseops.outbound), announced from its own
signals. Never the personal join link, the registrant's name, email or phone."""

from django.dispatch import receiver
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
from webinars.signals import webinar_attended, webinar_missed, webinar_registered

WEBINAR = obj(
    {
        "id": ID,
        "uid": {"type": "string", "format": "uuid"},
        "title": TEXT,
        "starts_at": DATETIME,
        "time_zone": TEXT,
        "duration_minutes": INTEGER,
    }
)
WEBINAR_EXAMPLE = {
    "id": 57,
    "uid": "8f0e4c1a-2b7d-4a8e-9c3f-5d6e7f8a9b0c",
    "title": "IA para tu negocio: agentes en la práctica",
    "starts_at": "2026-12-10T01:00:00Z",
    "time_zone": "America/Mexico_City",
    "duration_minutes": 60,
}
REGISTRATION = {
    "registration_id": ID,
    "webinar": WEBINAR,
    "student_id": NULLABLE_ID,
    "source": TEXT,
    "language": TEXT,
}
REGISTRATION_EXAMPLE = {
    "registration_id": 9120,
    "webinar": WEBINAR_EXAMPLE,
    "student_id": 1042,
    "source": "page",
    "language": "es",
}


def webinar_data(webinar):
    return {
        "id": webinar.pk,
        "uid": str(webinar.uid),
        "title": webinar.title,
        "starts_at": iso(webinar.starts_at),
        "time_zone": webinar.time_zone,
        "duration_minutes": webinar.duration_minutes,
    }


def registration_data(registration, webinar):
    return {
        "registration_id": registration.pk,
        "webinar": webinar_data(webinar),
        "student_id": registration.student_id,
        "source": registration.source,
        "language": registration.language,
    }


register_event(
    EventType(
        name="webinar.registered",
        label=_("Inscripción a un webinar"),
        description=_("Alguien (estudiante o lead) se inscribió a un webinar."),
        schema=obj(REGISTRATION),
        example=REGISTRATION_EXAMPLE,
    )
)
register_event(
    EventType(
        name="webinar.attended",
        label=_("Asistió a un webinar"),
        description=_("Un inscrito asistió (Zoom, importación o enlace de acceso); una vez."),
        schema=obj({**REGISTRATION, "minutes": {"type": ["integer", "null"]}}),
        example={**REGISTRATION_EXAMPLE, "minutes": 48},
    )
)
register_event(
    EventType(
        name="webinar.missed",
        label=_("No asistió a un webinar"),
        description=_("Cerrada la asistencia de un webinar, un inscrito que no asistió."),
        schema=obj(REGISTRATION),
        example=REGISTRATION_EXAMPLE,
    )
)
register_event(
    EventType(
        name="recording.published",
        label=_("Grabación publicada"),
        description=_("La grabación revisada de un webinar se publicó en vídeo."),
        schema=obj(
            {"recording_id": ID, "webinar": WEBINAR, "video_url": TEXT, "published_at": DATETIME}
        ),
        example={
            "recording_id": 33,
            "webinar": WEBINAR_EXAMPLE,
            "video_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "published_at": "2026-12-11T09:30:00Z",
        },
    )
)


@receiver(webinar_registered, dispatch_uid="webinars.webhook_registered")
def announce_registered(sender, registration, webinar, **kwargs):
    announce(
        "webinar.registered",
        lambda: registration_data(registration, webinar),
        person_email=registration.email,
    )


@receiver(webinar_attended, dispatch_uid="webinars.webhook_attended")
def announce_attended(sender, registration, webinar, minutes=None, **kwargs):
    announce(
        "webinar.attended",
        lambda: {**registration_data(registration, webinar), "minutes": minutes},
        person_email=registration.email,
    )


@receiver(webinar_missed, dispatch_uid="webinars.webhook_missed")
def announce_missed(sender, registration, webinar, **kwargs):
    announce(
        "webinar.missed",
        lambda: registration_data(registration, webinar),
        person_email=registration.email,
    )


def recording_published(recording):
    announce(
        "recording.published",
        lambda: {
            "recording_id": recording.pk,
            "webinar": webinar_data(recording.webinar),
            "video_url": recording.video_url,
            "published_at": iso(recording.published_at),
        },
    )
