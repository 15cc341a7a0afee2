"""What the webinars app holds about a person: registrations and attendance."""

from django.db.models import Q

from courseops.operations.privacy.registry import (
    CONSENT,
    ERASED_NAME,
    PrivacyPart,
    erased_email,
    register_part,
)
from webinars.models import AttendanceSession, Registration


class WebinarsPart(PrivacyPart):
    name = "webinars"

    def _registrations(self, person):
        return Registration.objects.filter(email__iexact=person.email)

    def _sessions(self, person):
        return AttendanceSession.objects.filter(
            Q(email__iexact=person.email)
            | Q(registration__email__iexact=person.email)
            | Q(participant_key__iexact=person.email)
        )

    def identify(self, person):
        for registration in self._registrations(person):
            person.objects.append(registration)
            if registration.name:
                person.names.add(registration.name)
            if registration.phone:
                person.phones.add(registration.phone)

    def export(self, person):
        return {
            "registrations": list(
                self._registrations(person).values(
                    "webinar__title",
                    "webinar__starts_at",
                    "email",
                    "name",
                    "phone",
                    "time_zone",
                    "language",
                    "source",
                    "sms_consent",
                    "consent_text",
                    "consent_at",
                    "created_at",
                    "cancelled_at",
                    "attended",
                    "minutes_attended",
                )
            ),
            "attendance": list(
                self._sessions(person).values("webinar__title", "joined_at", "left_at")
            ),
        }

    def purposes(self, person):
        return [
            {
                "purpose": f"SMS del webinar «{registration.webinar.title}»",
                "basis": CONSENT,
                "status": "concedido",
                "since": registration.consent_at,
                "source": registration.consent_text,
            }
            for registration in self._registrations(person).select_related("webinar")
            if registration.sms_consent
        ]

    def erase(self, person):
        sessions = list(self._sessions(person).values_list("pk", flat=True))
        # The participant key is part of a unique constraint: keep it unique per row.
        for pk in sessions:
            AttendanceSession.objects.filter(pk=pk).update(
                email="", name="", participant_key=f"borrado-{pk}"
            )
        registrations = list(self._registrations(person))
        for registration in registrations:
            registration.email = erased_email("inscripcion", registration.pk)
            registration.name = ERASED_NAME
            registration.phone = ""
            registration.join_url = ""
            registration.external_id = ""
            registration.last_error = ""
        Registration.objects.bulk_update(
            registrations, ["email", "name", "phone", "join_url", "external_id", "last_error"]
        )
        return {"registrations": len(registrations), "attendance_sessions": len(sessions)}


register_part(WebinarsPart())
