"""Demo spend for cost per lead, and last week's AI summary waiting for review."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from marketing.funnel.insights import draft_weekly_insights
from marketing.funnel.models import MarketingCost
from marketing.landing.models import LandingPage


def load_funnel_demo(*, staff):
    if MarketingCost.objects.exists():
        return
    today = timezone.localdate()
    MarketingCost.objects.create(
        spent_on=today - timedelta(days=1),
        source="instagram",
        campaign="otono",
        landing=LandingPage.objects.filter(slug="ia-para-tu-negocio").first(),
        amount=Decimal("90.00"),
        note="Anuncios de Instagram (demo)",
    )
    draft_weekly_insights()
