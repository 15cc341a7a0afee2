"""The weekly AI summary cites only the figures it was given."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from courseops.reviews.models import Draft
from marketing.funnel.insights import draft_weekly_insights, foreign_numbers
from marketing.landing.models import LandingPage, LandingView
from marketing.models import Lead, LeadForm
from tests.ai.conftest import chat_completion

pytestmark = pytest.mark.django_db

# Wednesday 25 Nov 2026: last full week is Mon 16 - Sun 22 Nov (Mexico City).
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
LAST_WEEK = datetime(2026, 11, 17, 18, 0, tzinfo=UTC)


@pytest.fixture
def week(db):
    page = LandingPage.objects.create(
        slug="ia",
        title="t",
        description="d",
        headline="h",
        published=True,
        form=LeadForm.objects.create(slug="f", name="F"),
    )
    for n in range(12):
        LandingView.objects.create(
            page=page, utm_source="instagram", at=LAST_WEEK + timedelta(minutes=n)
        )
    for n in range(3):
        lead = Lead.objects.create(
            email=f"l{n}@example.com",
            first_source="landing",
            last_source="landing",
            first_utm={"utm_source": "instagram"},
        )
        Lead.objects.filter(pk=lead.pk).update(created_at=LAST_WEEK)
    Lead.objects.create(email="hoy@example.com", first_source="api", last_source="api")  # this week


def test_the_offline_summary_gives_last_weeks_figures_once_per_week(week):
    draft = draft_weekly_insights(now=NOW)

    assert draft.kind == "marketing_insights"
    assert draft.subject == "Marketing, semana 16/11/2026 - 22/11/2026"
    assert "12 visitas a landings, 3 contactos, 0 clientes" in draft.body
    assert draft.data["figures"][0]["lead_rate"] == "25 %"
    assert draft.data["replaced_numbers"] == []
    assert draft_weekly_insights(now=NOW + timedelta(days=2)) is None
    assert Draft.objects.filter(kind="marketing_insights").count() == 1


def test_an_ai_summary_with_an_invented_number_is_replaced_by_the_plain_one(week, fake_openai):
    fake_openai.reply(
        chat_completion(
            json.dumps(
                {
                    "subject": "Instagram manda",
                    "summary": "Instagram trajo 3 contactos (un 40 % más).",
                }
            )
        )
    )

    draft = draft_weekly_insights(now=NOW)

    assert draft.data["replaced_numbers"] == ["40"]
    assert "40" not in draft.body
    assert "3 contactos" in draft.body
    assert draft.subject.startswith("Marketing, semana")


def test_an_ai_summary_citing_only_given_figures_is_kept(week, fake_openai):
    fake_openai.reply(
        chat_completion(
            json.dumps(
                {
                    "subject": "Instagram: 3 contactos",
                    "summary": "Instagram trajo 12 visitas y 3 contactos (25 % de conversión).",
                }
            )
        )
    )

    draft = draft_weekly_insights(now=NOW)

    assert (draft.subject, draft.data["replaced_numbers"]) == ("Instagram: 3 contactos", [])
    assert "25 % de conversión" in draft.body


def test_numbers_are_compared_as_written_in_either_decimal_style():
    context = {"rows": [{"revenue": "49.00", "views": 12}]}

    assert foreign_numbers("Ingresos 49,00 y 12 visitas", context) == []
    assert foreign_numbers("Ingresos 49.5", context) == ["49.5"]
