"""Demo webinars: two upcoming (one public, one for a plan) and one past, with registrants,
their attendance, a recording with its transcript and a summary waiting for review; the
first active demo student has one of each in the portal's "Mis webinars"."""

from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from courseops.core.demo import register
from students.models import Plan, Student
from webinars.models import Recording, Registration, Webinar
from webinars.services import registration_create, webinar_create, webinar_schedule
from webinars.services.attendance import attendance_record, attendance_settle
from webinars.services.recordings import recording_process

LEADS = [
    ("Lucía Pérez", "lucia@example.com", "+525512345678", "America/Mexico_City"),
    ("Mateo Gómez", "mateo@example.com", "", "America/Bogota"),
    ("Sofía Martín", "sofia@example.com", "+34600111222", "Europe/Madrid"),
]


# Minutes each demo lead stayed in the past webinar (None: did not come).
ATTENDANCE = {"lucia@example.com": 58, "mateo@example.com": 35, "sofia@example.com": None}
TRANSCRIPT = """WEBVTT

00:00:05.000 --> 00:00:12.000
Bienvenidos. Hoy vemos qué es un agente de IA y cuándo conviene usarlo.

00:00:12.500 --> 00:00:21.000
Un agente combina un modelo de lenguaje con herramientas: busca, calcula y actúa.

00:00:21.500 --> 00:00:30.000
Empezad por una tarea repetitiva y medible, como clasificar correos de clientes.

00:00:30.500 --> 00:00:38.000
Revisad siempre lo que hace el agente antes de darle permisos para enviar o pagar.
"""


def _past_attendance_and_recording(past, *, staff):
    """Attendance settled, the recording transcribed and its summary pending review."""
    if past.attendance_settled_at is None:
        for registration in past.registrations.all():
            minutes = ATTENDANCE.get(registration.email)
            attendance_record(
                registration=registration,
                attended=minutes is not None,
                minutes=minutes,
                source="csv",
                user=staff,
            )
        attendance_settle(webinar=past, user=staff)
    if not Recording.objects.filter(webinar=past).exists():
        recording = Recording(
            webinar=past,
            source=Recording.Source.UPLOAD,
            watch_url="https://www.youtube.com/watch?v=demo-agentes-ia",
        )
        recording.file.save("agentes-ia-demo.vtt", ContentFile(TRANSCRIPT.encode()), save=False)
        recording.save()
        recording_process(recording=recording)  # transcript + summary draft, here and now


def _portal_student(*, coming, past):
    """Registered to the coming webinar and attended the past one (idempotent)."""
    student = Student.objects.filter(status=Student.Status.ACTIVE).order_by("pk").first()
    if student is None:
        return
    registration_create(webinar=coming, student=student, source=Registration.Source.PORTAL)
    Registration.objects.get_or_create(
        webinar=past,
        email=student.email,
        defaults={
            "student": student,
            "name": student.full_name,
            "time_zone": student.time_zone,
            "language": student.language,
            "source": Registration.Source.PORTAL,
            "attended": True,
            "minutes_attended": 45,
            "attended_at": past.starts_at,
            "attendance_source": "csv",
        },
    )


def _webinar(title, *, starts_at, staff, **kwargs):
    existing = Webinar.objects.filter(title=title).first()
    if existing is not None:
        return existing, False
    webinar = webinar_create(
        title=title, starts_at=starts_at, time_zone="America/Mexico_City", host=staff, **kwargs
    )
    return webinar, True


@register
def load_webinars_demo(*, staff):
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    public, created = _webinar(
        "IA generativa para tu negocio (demo)",
        starts_at=now + timedelta(days=5, hours=3),
        staff=staff,
        is_public=True,
        capacity=100,
        description="Casos prácticos de ChatGPT y automatización para pymes.",
    )
    if created:
        webinar_schedule(webinar=public, user=staff)
        for name, email, phone, time_zone in LEADS:
            registration_create(
                webinar=public,
                source=Registration.Source.PAGE,
                email=email,
                name=name,
                phone=phone,
                time_zone=time_zone,
                sms_consent=bool(phone),
                consent_text="Acepto recibir por SMS los recordatorios de este webinar."
                if phone
                else "",
            )

    plan = Plan.objects.filter(includes_live_webinars=True).first()
    members, created = _webinar(
        "Sesión de preguntas para alumnos (demo)",
        starts_at=now + timedelta(days=12),
        staff=staff,
        plans=[plan] if plan else [],
        is_public=plan is None,
    )
    if created:
        webinar_schedule(webinar=members, user=staff)

    past, created = _webinar(
        "Introducción a los agentes de IA (demo)",
        starts_at=now - timedelta(days=10),
        staff=staff,
        is_public=True,
    )
    if created:
        Webinar.objects.filter(pk=past.pk).update(
            status=Webinar.Status.FINISHED, meeting_provider="jitsi"
        )
        Registration.objects.bulk_create(
            [
                Registration(
                    webinar=past,
                    email=email,
                    name=name,
                    time_zone=time_zone,
                    source=Registration.Source.PAGE,
                )
                for name, email, _phone, time_zone in LEADS
            ],
            ignore_conflicts=True,
        )
    past.refresh_from_db()
    _past_attendance_and_recording(past, staff=staff)
    _portal_student(coming=public, past=past)
