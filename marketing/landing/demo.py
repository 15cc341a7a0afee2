"""Demo landing page: published, with two headlines, human views and sign-ups per
headline (A/B results in its admin page), and an AI copy draft waiting for review."""

from datetime import timedelta

from django.utils import timezone

from marketing.landing.copy import draft_copy
from marketing.landing.models import LandingPage, LandingView
from marketing.landing.services import sign_up
from marketing.models import LeadForm
from students.models import Plan

SLUG = "ia-para-tu-negocio"


def load_landing_demo(*, staff):
    if LandingPage.objects.filter(slug=SLUG).exists():
        return
    form, _ = LeadForm.objects.get_or_create(
        slug="landing-ia", defaults={"name": "Landing «IA para tu negocio»", "double_opt_in": True}
    )
    page = LandingPage.objects.create(
        slug=SLUG,
        title="IA para tu negocio",
        description="Aprende a automatizar tareas de tu negocio con IA, sin programar.",
        headline="Automatiza tu negocio con IA, sin programar",
        headline_variants=["Recupera 5 horas a la semana con IA"],
        body=(
            "## Qué aprenderás\nA usar asistentes y agentes de IA en ventas, soporte y "
            "contenidos.\n\n## Para quién es\nPara quien dirige un pequeño negocio."
        ),
        fields=["name"],
        form=form,
        plan=Plan.objects.filter(active=True).exclude(stripe_price_id="").first(),
        thank_you="Te escribimos en breve con la primera clase.",
        topic="IA para automatizar un pequeño negocio",
        published=True,
    )
    now = timezone.now()
    LandingView.objects.bulk_create(
        LandingView(
            page=page,
            variant=n % 2,
            utm_source="instagram" if n % 3 else "newsletter",
            utm_campaign="otono",
            at=now - timedelta(hours=n),
        )
        for n in range(120)
    )
    for n in range(9):  # the second headline converts better
        sign_up(
            page=page,
            data={
                "email": f"landing{n}.demo@example.com",
                "name": f"Visitante {n}",
                "consent": True,
                "utm_source": "instagram",
                "utm_campaign": "otono",
            },
            variant=0 if n < 3 else 1,
            referrer="https://www.instagram.com/",
        )
    draft_copy(page=page, topic=page.topic, user=staff)
