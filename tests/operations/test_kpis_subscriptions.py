"""Subscription KPIs from the Stripe mirror: churn, LTV, CAC and cohort retention, each
checked against figures computed by hand from the rows created here."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
import time_machine

from courseops.operations.kpis.services import Period, dashboard
from marketing.models import MarketingCost
from students.billing import figures
from students.models import Plan, Student, Subscription

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
# 30 days, Oct 22 - Nov 20: the monthly churn is the period's churn.
PERIOD = Period(date(2026, 10, 22), date(2026, 11, 20))


def _on(month, day):
    return datetime(2026, month, day, 9, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _utc(settings):
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def plans():
    return {
        "basico": Plan.objects.create(slug="basico", name="Básico", price=29),
        "premium": Plan.objects.create(slug="premium", name="Premium", price=79),
    }


def _student(name, created, plan):
    student = Student.objects.create(
        full_name=name, email=f"{name}@example.com", plan=plan, source="api"
    )
    Student.objects.filter(pk=student.pk).update(created_at=created)
    return student


def _subscription(student, plan, started, ended=None, status=None):
    return Subscription.objects.create(
        student=student,
        plan=plan,
        stripe_subscription_id=f"sub_{Subscription.objects.count() + 1}",
        status=status or ("canceled" if ended else "active"),
        started_at=started,
        ended_at=ended,
    )


@pytest.fixture
def subscriptions(plans):
    """Paying at the period's start (Oct 22): a, b, c (29 + 79 + 29), b ends on Nov 16.
    d ended before the period; e and g start paying in it (g also ends in it); f never
    got past Stripe's incomplete state; h is a student who never paid; m signed up in May
    and left in August."""
    basico, premium = plans["basico"], plans["premium"]
    a = _student("a", _on(9, 1), basico)
    _subscription(a, basico, _on(9, 1))
    _subscription(a, premium, _on(11, 3))  # a second one: a is no new paying student
    b = _student("b", _on(9, 5), premium)
    _subscription(b, premium, _on(9, 5), ended=_on(11, 16))
    c = _student("c", _on(8, 1), basico)
    _subscription(c, basico, _on(8, 1))
    d = _student("d", _on(9, 20), basico)
    _subscription(d, basico, _on(9, 20), ended=_on(10, 10))
    e = _student("e", _on(11, 15), basico)
    _subscription(e, basico, _on(11, 15))
    f = _student("f", _on(11, 1), basico)
    _subscription(f, basico, _on(11, 1), ended=_on(11, 2), status="incomplete_expired")
    g = _student("g", _on(11, 1), basico)
    _subscription(g, basico, _on(11, 1), ended=_on(11, 19))
    _student("h", _on(10, 3), basico)
    m = _student("m", _on(5, 10), basico)
    _subscription(m, basico, _on(5, 10), ended=_on(8, 10))


def _rows():
    with time_machine.travel(NOW, tick=False):
        return {row.kpi.key: row for row in dashboard(PERIOD)}


def test_churn_is_the_share_of_subscriptions_paying_at_the_start_that_ended(subscriptions):
    # a, b, c paying on Oct 22; b ended on Nov 16. d ended before, g started inside.
    assert _rows()["subscriptions.churn"].value == pytest.approx(100 / 3)


def test_ltv_is_the_average_plan_price_over_the_monthly_churn(subscriptions):
    # (29 + 79 + 29) / 3 = 45.67 a month, churn 1/3 a month (30 days): 137.
    assert _rows()["subscriptions.ltv"].value == pytest.approx(137)


def test_ltv_scales_the_churn_of_a_shorter_period_to_a_month(subscriptions):
    # Nov 14-20 (7 days): a's two (29, 79), b (79), c (29) and g (29) paying on Nov 14,
    # b and g end in it: 2/5 in 7 days, 12/7 a month; average price 245 / 5 = 49.
    with time_machine.travel(NOW, tick=False):
        rows = {row.kpi.key: row for row in dashboard(Period(date(2026, 11, 14), NOW.date()))}
    assert rows["subscriptions.ltv"].value == pytest.approx(49 / (12 / 7))


def test_nobody_churning_leaves_ltv_without_a_figure(plans):
    a = _student("a", _on(9, 1), plans["basico"])
    _subscription(a, plans["basico"], _on(9, 1))
    rows = _rows()
    assert rows["subscriptions.churn"].value == 0
    assert rows["subscriptions.ltv"].value is None


def test_cac_is_the_periods_marketing_cost_per_new_paying_student(subscriptions):
    for day, amount in [(date(2026, 10, 21), 999), (date(2026, 10, 25), 100)]:
        MarketingCost.objects.create(spent_on=day, source="google", amount=amount)
    MarketingCost.objects.create(spent_on=date(2026, 11, 20), campaign="bf", amount=50)
    MarketingCost.objects.create(spent_on=date(2026, 11, 21), source="meta", amount=999)
    # (100 + 50) / 2 new paying students (e, g; f never paid, a paid before).
    assert figures.new_paying_students(*PERIOD.bounds()) == 2
    assert _rows()["marketing.cac"].value == pytest.approx(75)


def test_cac_without_costs_entered_shows_no_data_not_zero(subscriptions, dashboard_page):
    assert _rows()["marketing.cac"].value is None
    with time_machine.travel(NOW, tick=False):
        page = dashboard_page("/admin/?desde=2026-10-22&hasta=2026-11-20")
    cell = page.split('data-kpi="marketing.cac"')[1].split("</tr>")[0]
    assert "sin datos" in cell


def test_cohort_retention_by_signup_month(subscriptions, dashboard_page):
    with time_machine.travel(NOW, tick=False):
        table = figures.cohort_retention(*PERIOD.bounds())
    # May is outside the six months shown; October's only signup (h) never paid; f never
    # got past incomplete, so November holds e and g, too young for any column.
    assert list(table) == [date(2026, 8, 1), date(2026, 9, 1), date(2026, 11, 1)]
    assert table[date(2026, 8, 1)] == {"students": 1, 1: 100, 2: 100, 3: 100}
    # September: a and b still pay 30 and 60 days later, d had ended on Oct 10; nobody
    # signed up 90 days before Nov 20.
    september = table[date(2026, 9, 1)]
    assert september["students"] == 3
    assert september[1] == pytest.approx(200 / 3)
    assert september[2] == pytest.approx(200 / 3)
    assert september[3] is None
    assert table[date(2026, 11, 1)] == {"students": 2, 1: None, 2: None, 3: None}

    with time_machine.travel(NOW, tick=False):
        page = dashboard_page("/admin/?desde=2026-10-22&hasta=2026-11-20")
    section = page.split('data-kpi-table="subscriptions.cohort_retention"')[1].split("</table>")[0]
    assert "septiembre de 2026" in section
    assert "66,7 %" in section


def test_the_cohort_table_exports_as_its_own_csv(subscriptions, admin_client):
    url = "/admin/kpis.csv?desde=2026-10-22&hasta=2026-11-20&tabla="
    with time_machine.travel(NOW, tick=False):
        response = admin_client.get(url + "subscriptions.cohort_retention")
        unknown = admin_client.get(url + "nope")

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Mes de alta", "Alumnos", "1 mes", "2 meses", "3 meses"]
    assert [row[1] for row in rows[1:]] == ["1", "3", "2"]  # August, September, November
    assert rows[2][4] == ""  # nobody signed up 90 days before: no figure, not 0
    assert (
        "subscriptions.cohort_retention-2026-10-22-2026-11-20.csv"
        in (response["Content-Disposition"])
    )
    assert unknown.status_code == 404


def test_the_demo_data_gives_the_subscription_figures_a_value(dashboard_page, settings):
    from django.core.management import call_command

    call_command("load_demo_data")
    page = dashboard_page()
    # Three demo subscriptions paying 30 days ago, Carmen's cancelled 10 days ago.
    churn = page.split('data-kpi="subscriptions.churn"')[1].split("</tr>")[0]
    assert "33,3 %" in churn
    assert 'data-kpi-table="subscriptions.cohort_retention"' in page
