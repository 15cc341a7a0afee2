"""The funnel's figures against a hand-counted set of contacts, in constant queries."""

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketing.funnel.models import MarketingCost
from marketing.funnel.report import Window, funnel
from marketing.landing.models import LandingPage, LandingSignup, LandingView
from marketing.models import Action, Lead, LeadForm
from marketing.services.scoring import record_action
from students.models import Plan, Student, Subscription

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)
WINDOW = Window(
    start=datetime(2026, 11, 16, 6, 0, tzinfo=UTC), end=datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
)
NOW = datetime(2027, 2, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def world(db):
    pro = Plan.objects.create(
        slug="pro", name="Pro", price=Decimal("49"), stripe_price_id="price_pro"
    )
    page = LandingPage.objects.create(
        slug="ia",
        title="IA",
        description="d",
        headline="h",
        published=True,
        form=LeadForm.objects.create(slug="f", name="F"),
    )
    for n, source in enumerate(["instagram"] * 5 + ["facebook"] * 3):
        LandingView.objects.create(page=page, utm_source=source, at=MONDAY + timedelta(hours=n))
    LandingView.objects.create(page=page, utm_source="instagram", at=MONDAY - timedelta(days=3))

    def lead(email, source="api", utm_source="", day=0):
        row = Lead.objects.create(
            email=email,
            first_source=source,
            last_source=source,
            first_utm={"utm_source": utm_source, "utm_campaign": "otono"} if utm_source else {},
        )
        Lead.objects.filter(pk=row.pk).update(created_at=MONDAY + timedelta(days=day))
        row.refresh_from_db()
        return row

    def pays(row, *, status, days_before_now, plan=pro):
        student = Student.objects.create(
            full_name=row.email, email=row.email, plan=plan, source="api"
        )
        Lead.objects.filter(pk=row.pk).update(student=student)
        sub = Subscription.objects.create(
            student=student, plan=plan, stripe_subscription_id=f"sub_{row.pk}", status=status
        )
        Subscription.objects.filter(pk=sub.pk).update(
            created_at=NOW - timedelta(days=days_before_now)
        )

    ana = lead("ana@example.com", "landing", "instagram")
    LandingSignup.objects.create(page=page, lead=ana, at=MONDAY)
    for action in (Action.WEBINAR_REGISTERED, Action.WEBINAR_ATTENDED, Action.CHECKOUT_STARTED):
        record_action(lead=ana, action=action, ref="x", at=MONDAY)
    pays(ana, status="active", days_before_now=40)  # 37 days after arriving
    bea = lead("bea@example.com", "landing", "instagram", day=1)
    record_action(lead=bea, action=Action.WEBINAR_REGISTERED, ref="x", at=MONDAY)
    cris = lead("cris@example.com", "landing", "facebook", day=2)
    record_action(lead=cris, action=Action.CHECKOUT_STARTED, ref="x", at=MONDAY)
    pays(cris, status="incomplete", days_before_now=5)
    dani = lead("dani@example.com", day=3)
    pays(dani, status="active", days_before_now=100)
    lead("tarde@example.com", "landing", "instagram", day=9)  # next week: outside
    MarketingCost.objects.create(
        spent_on=datetime(2026, 11, 18).date(), source="instagram", amount=Decimal("100")
    )
    MarketingCost.objects.create(
        spent_on=datetime(2026, 12, 1).date(), source="instagram", amount=Decimal("900")
    )


def by_key(rows):
    return {row.pop("key"): row for row in rows}


def test_the_funnel_by_source_matches_the_hand_count(world):
    rows = by_key(funnel("source", WINDOW, now=NOW))

    assert rows["instagram"] == {
        "views": 5,
        "leads": 2,
        "registrants": 2,
        "attendees": 1,
        "checkouts": 1,
        "paying": 1,
        "paying_30": 1,
        "paying_90": 0,
        "revenue": Decimal("49"),
        "cost": Decimal("100"),
        "cost_per_lead": Decimal("50"),
        "days_to_pay": 37.0,
    }
    assert rows["facebook"] == {
        "views": 3,
        "leads": 1,
        "registrants": 0,
        "attendees": 0,
        "checkouts": 1,
        "paying": 0,
        "paying_30": 0,
        "paying_90": 0,
        "revenue": 0,
        "cost": None,
        "cost_per_lead": None,
        "days_to_pay": None,
    }
    assert (rows["api"]["leads"], rows["api"]["paying_90"], rows["api"]["views"]) == (1, 1, 0)
    total = rows["total"]
    assert (total["views"], total["leads"], total["paying"], total["revenue"]) == (
        8,
        4,
        2,
        Decimal("98"),
    )


def test_by_landing_campaign_and_cohort_week(world):
    landing = by_key(funnel("landing", WINDOW, now=NOW))
    campaign = by_key(funnel("campaign", WINDOW, now=NOW))
    cohort = funnel("cohort", WINDOW, now=NOW)

    assert (landing["ia"]["views"], landing["ia"]["leads"], landing["ia"]["paying"]) == (8, 1, 1)
    assert landing["(ninguno)"]["leads"] == 3
    assert campaign["otono"]["leads"] == 3
    assert [(row["key"], row["leads"], row["views"]) for row in cohort] == [
        ("2026-11-16", 4, 8),
        ("total", 4, 8),
    ]


def test_the_funnel_takes_the_same_queries_at_any_size(world):
    def count():
        with CaptureQueriesContext(connection) as queries:
            funnel("source", WINDOW, now=NOW)
        return len(queries)

    small = count()
    for n in range(30):
        Lead.objects.create(email=f"m{n}@example.com", first_source="api", last_source="api")
    Lead.objects.update(created_at=MONDAY)
    assert count() == small == 3


def test_the_admin_page_charts_the_funnel_and_exports_it_as_csv(world, client, staff_user):
    params = {"dimension": "source", "start": "2026-11-16", "end": "2026-11-22"}
    url = reverse("admin:marketing_funnel")

    with time_machine.travel(NOW, tick=False):
        client.force_login(staff_user)
        page = client.get(url, params)
        export = client.get(url, params | {"formato": "csv"})
        bad = client.get(url, params | {"end": "2026-11-01"})

    assert page.status_code == 200
    html = page.content.decode()
    assert "siguen pagando a 30 días" in html
    assert "<figcaption" in html
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert export["Content-Type"].startswith("text/csv")
    assert rows[0][:3] == ["key", "views", "leads"]
    instagram = next(row for row in rows if row[0] == "instagram")
    assert instagram[:9] == ["instagram", "5", "2", "2", "1", "1", "1", "1", "0"]
    assert bad.status_code == 200
    assert "La fecha final es anterior a la inicial." in bad.content.decode()


def test_someone_who_paid_before_becoming_a_contact_took_0_days_never_minus(world):
    from courseops.core.display import number

    rows = by_key(funnel("source", WINDOW, now=NOW))

    # Dani's subscription is older than the contact: paid at once.
    assert rows["api"]["days_to_pay"] == 0.0
    assert number(rows["api"]["days_to_pay"], 1, language="es") == "0,0"
