"""Demo webinars: two upcoming (one public, one for a plan) and one past, with registrants."""

from datetime import timedelta

from django.utils import timezone

from courseops.core.demo import register
from students.models import Plan
from webinars.models import Registration, Webinar
from webinars.services import registration_create, webinar_create, webinar_schedule

LEADS = [
    ("Lucía Pérez", "lucia@example.com", "+5215512345678", "America/Mexico_City"),
    ("Mateo Gómez", "mateo@example.com", "", "America/Bogota"),
    ("Sofía Martín", "sofia@example.com", "+34600111222", "Europe/Madrid"),
]


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
