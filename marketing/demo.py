"""Demo marketing: contacts with their consents, a form, segments, a finished A/B campaign
with results (human and machine clicks), a Typeform lead form and the abandoned-checkout
and win-back sequences, loaded idempotently."""

from datetime import timedelta

from django.utils import timezone

from courseops.core.demo import register
from courseops.reviews.services import apply_draft, approve_draft
from marketing.audiences.demo import load_audiences_demo
from marketing.funnel.demo import load_funnel_demo
from marketing.landing.demo import load_landing_demo
from marketing.models import (
    Campaign,
    Lead,
    LeadForm,
    Purpose,
    Recipient,
    Segment,
    Sequence,
    Step,
    Variant,
)
from marketing.offers.demo import load_offers_demo
from marketing.services.campaigns import (
    advance_campaign,
    schedule_campaign,
    send_batch,
    start_campaign,
)
from marketing.services.consent import confirm_consents, request_consent
from marketing.services.content import submit_variant
from marketing.services.intake import typeform_lead_form
from marketing.services.leads import capture_lead
from marketing.services.sequences import submit_step
from marketing.services.tracking import record_event
from marketing.social.demo import load_social_demo
from students.models import TypeformForm

CAMPAIGN = "Newsletter de noviembre (demo)"
FIRST_NAMES = ["Ana", "Bruno", "Carla", "Diego", "Elena", "Fede", "Gala", "Hugo", "Irene", "Joel"]
ZONES = ["America/Mexico_City", "America/Bogota", "Europe/Madrid", "America/Argentina/Buenos_Aires"]
HUMAN = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile"
SCANNER = "Mozilla/5.0 (compatible; Mimecast link scanner)"


def _contacts(form):
    leads = []
    for n in range(40):
        name = f"{FIRST_NAMES[n % 10]} Demo{n}"
        result = capture_lead(
            data={
                "email": f"contacto{n}.demo@example.com",
                "name": name,
                "time_zone": ZONES[n % 4],
                "interests": ["IA generativa"] if n % 3 else ["Automatización"],
                "tags": ["demo"],
                "consent": n % 8 != 7,  # a few never consented
                "utm_source": "instagram" if n % 2 else "newsletter",
            },
            source="api",
            form=form,
        )
        leads.append(result.lead)
    return leads


def _campaign(staff, segment):
    campaign = Campaign.objects.create(
        name=CAMPAIGN,
        topics="Agentes de IA, prompts para vender",
        preheader="Lo mejor de la semana en IA práctica",
        test_share=50,
        min_sample=5,
        test_wait_hours=1,
    )
    campaign.segments.add(segment)
    for label, subject in (
        ("A", "{nombre}, 3 ideas de IA para esta semana"),
        ("B", "Tu agente de IA en 15 minutos"),
    ):
        variant = Variant.objects.create(
            campaign=campaign,
            label=label,
            subject=subject,
            body_html="<p>Hola {nombre}:</p><p>Esta semana, agentes de IA.</p>"
            '<p><a href="https://example.com/blog/agentes">Leer más</a></p>',
        )
        draft = approve_draft(draft=submit_variant(variant=variant), user=staff)
        apply_draft(draft_id=draft.pk)  # now, not after the demo's commit
    return campaign


# (trigger, name, email subject, email body): each waits a day, then one reviewed email.
SEQUENCES = (
    (
        Sequence.Trigger.CHECKOUT_ABANDONED,
        "Pago sin terminar (demo)",
        "{nombre}, tu plaza sigue reservada",
        "<p>Hola {nombre}:</p><p>Empezaste tu inscripción y no la terminaste. {personal}</p>",
    ),
    (
        Sequence.Trigger.WIN_BACK,
        "Recuperación tras cancelar (demo)",
        "{nombre}, te echamos de menos",
        "<p>Hola {nombre}:</p><p>Estas son las novedades del curso desde que te fuiste.</p>",
    ),
)


def _sequences(staff):
    for trigger, name, subject, body in SEQUENCES:
        sequence, created = Sequence.objects.get_or_create(name=name, defaults={"trigger": trigger})
        if not created:
            continue
        Step.objects.create(sequence=sequence, position=1, kind=Step.Kind.WAIT, wait_days=1)
        step = Step.objects.create(
            sequence=sequence, position=2, kind=Step.Kind.EMAIL, subject=subject, body=body
        )
        apply_draft(draft_id=approve_draft(draft=submit_step(step=step), user=staff).pk)


def _typeform_lead_form():
    form, _ = TypeformForm.objects.get_or_create(
        form_id="DemoGuia",
        defaults={
            "name": "Guía gratuita de IA (Typeform, demo)",
            "purpose": TypeformForm.Purpose.LEAD,
            "field_refs": {"email": "correo", "full_name": "nombre", "consent": "acepto"},
            "hidden_fields": {"utm_source": "utm_source"},
        },
    )
    typeform_lead_form(form)


@register
def load_marketing_demo(*, staff):
    _sequences(staff)
    _typeform_lead_form()
    if Campaign.objects.filter(name=CAMPAIGN).exists():
        return
    form, _ = LeadForm.objects.get_or_create(
        slug="landing-ia", defaults={"name": "Landing «IA para tu negocio»", "double_opt_in": True}
    )
    leads = _contacts(form)
    for lead in leads[:-4]:  # most confirmed their subscription; four still pending
        confirm_consents(lead=lead, ip="203.0.113.10")
    lucia = Lead.objects.filter(email="lucia@example.com").first()
    if lucia is not None:  # the webinars demo's registrant, who also subscribed
        request_consent(lead=lucia, purpose=Purpose.NEWSLETTER, source="demo", double_opt_in=False)
    segment, _ = Segment.objects.get_or_create(
        name="Interesados en IA con newsletter (demo)",
        defaults={
            "rules": {
                "match": "all",
                "conditions": [
                    {"field": "tag", "op": "has", "value": "demo"},
                    {"field": "consent", "op": "valid", "value": Purpose.NEWSLETTER},
                ],
            }
        },
    )
    Segment.objects.get_or_create(
        name="Sin actividad en 30 días (demo)",
        defaults={"rules": {"conditions": [{"field": "inactive_days", "op": "gte", "value": 30}]}},
    )
    campaign = _campaign(staff, segment)
    started = timezone.now() - timedelta(days=2)
    schedule_campaign(campaign=campaign, user=staff)
    start_campaign(campaign=campaign, now=started)
    campaign.refresh_from_db()
    send_batch(campaign=campaign, now=started)
    for recipient in Recipient.objects.filter(campaign=campaign, status="queued"):
        record_event(recipient_id=recipient.pk, kind="click", user_agent=SCANNER)  # scanners
        if recipient.variant.label == "B" or recipient.lead_id % 4 == 0:
            record_event(recipient_id=recipient.pk, kind="click", user_agent=HUMAN)
    later = started + timedelta(hours=2)
    while (
        advance_campaign(campaign_id=campaign.pk, now=later)
        or Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.SENDING
    ):
        later += timedelta(minutes=1)


@register
def load_marketing_ii_demo(*, staff):
    load_landing_demo(staff=staff)
    load_social_demo(staff=staff)
    load_offers_demo(staff=staff)
    load_funnel_demo(staff=staff)
    load_audiences_demo(staff=staff)
