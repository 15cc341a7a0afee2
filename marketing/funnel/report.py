"""The conversion funnel by source, campaign, landing page or cohort week, in a fixed
number of set-based queries whatever the number of contacts or events:

landing views -> leads -> webinar registrants -> attendees -> checkouts started ->
paying students -> still paying after 30 and 90 days, with revenue (the plan price of
those paying), cost per lead (where costs were entered) and days from lead to paying.

Each contact counts in the group of its first touch (first UTM source/campaign, first
landing page signed up on, the week it arrived) and in each later stage it reached, at any
time. A student pays when they have a subscription past Stripe's incomplete states; "still
paying after N days" is a subscription active now and at least N days old.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import (
    Avg,
    CharField,
    Count,
    DateField,
    DurationField,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, Greatest, NullIf, TruncWeek
from django.utils import timezone

from courseops.core.display import rounded
from marketing.funnel.models import MarketingCost
from marketing.landing.models import LandingSignup, LandingView
from marketing.models import Action, Activity, Lead
from students.models import Subscription

DIMENSIONS = ("source", "campaign", "landing", "cohort")
STAGES = (
    "views",
    "leads",
    "registrants",
    "attendees",
    "checkouts",
    "paying",
    "paying_30",
    "paying_90",
)
NOT_PAYING = ("incomplete", "incomplete_expired")
NONE = "(ninguno)"
TEXT = CharField()


@dataclass
class Window:
    start: object  # aware datetimes; leads created and views seen in [start, end)
    end: object


def _zone():
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _lead_dimension(dimension):
    if dimension == "source":
        return Coalesce(
            NullIf(KT("first_utm__utm_source"), Value("")), F("first_source"), output_field=TEXT
        )
    if dimension == "campaign":
        return Coalesce(
            NullIf(KT("first_utm__utm_campaign"), Value("")), Value(NONE), output_field=TEXT
        )
    if dimension == "landing":
        first = LandingSignup.objects.filter(lead=OuterRef("pk")).order_by("at", "pk")
        return Coalesce(
            Subquery(first.values("page__slug")[:1], output_field=CharField()), Value(NONE)
        )
    return TruncWeek("created_at", tzinfo=_zone(), output_field=DateField())


def _view_dimension(dimension):
    if dimension == "source":
        return Coalesce(NullIf(F("utm_source"), Value("")), Value(NONE))
    if dimension == "campaign":
        return Coalesce(NullIf(F("utm_campaign"), Value("")), Value(NONE))
    if dimension == "landing":
        return F("page__slug")
    return TruncWeek("at", tzinfo=_zone(), output_field=DateField())


def _did(action):
    return Exists(Activity.objects.filter(lead=OuterRef("pk"), action=action))


def _pays(now, days=None):
    subscriptions = Subscription.objects.filter(student=OuterRef("student")).exclude(
        status__in=NOT_PAYING
    )
    if days is not None:
        subscriptions = subscriptions.filter(
            status="active", created_at__lte=now - timedelta(days=days)
        )
    return Exists(subscriptions)


def paying_leads():
    """Leads whose student pays (the funnel's "paying" stage, at any time)."""
    return Lead.objects.filter(_pays(None))


def _first_paid_at():
    first = Subscription.objects.filter(student=OuterRef("student")).exclude(status__in=NOT_PAYING)
    return Subquery(first.order_by("created_at").values("created_at")[:1])


def lead_stages(dimension, window, *, now=None):
    """{key: {leads, registrants, attendees, checkouts, paying, paying_30, paying_90,
    revenue, days_to_pay}}: one query."""
    now = now or timezone.now()
    paying = _pays(now)
    rows = (
        Lead.objects.filter(created_at__gte=window.start, created_at__lt=window.end)
        .annotate(key=_lead_dimension(dimension), paid_at=_first_paid_at())
        .values("key")
        .annotate(
            leads=Count("pk"),
            registrants=Count("pk", filter=Q(_did(Action.WEBINAR_REGISTERED))),
            attendees=Count("pk", filter=Q(_did(Action.WEBINAR_ATTENDED))),
            checkouts=Count("pk", filter=Q(_did(Action.CHECKOUT_STARTED))),
            paying=Count("pk", filter=Q(paying)),
            paying_30=Count("pk", filter=Q(_pays(now, 30))),
            paying_90=Count("pk", filter=Q(_pays(now, 90))),
            revenue=Sum("student__plan__price", filter=Q(paying)),
            # Someone who paid before becoming a contact (a student turned lead) paid at
            # once: 0 days, not a negative that drags the group's average below zero.
            time_to_pay=Avg(
                Greatest(
                    F("paid_at") - F("created_at"),
                    Value(timedelta(0), output_field=DurationField()),
                ),
                filter=Q(paying),
            ),
        )
        .order_by("key")
    )
    return {str(row.pop("key")): row for row in rows}


def view_counts(dimension, window):
    """{key: human landing views}: one query."""
    rows = (
        LandingView.objects.filter(at__gte=window.start, at__lt=window.end)
        .annotate(key=_view_dimension(dimension))
        .values("key")
        .annotate(views=Count("pk"))
    )
    return {str(row["key"]): row["views"] for row in rows}


def cost_totals(dimension, window):
    """{key: amount spent}: one query (cohort weeks by the day of the spend)."""
    zone = _zone()
    costs = MarketingCost.objects.filter(
        spent_on__gte=window.start.astimezone(zone).date(),
        spent_on__lt=window.end.astimezone(zone).date(),
    )
    key = {
        "source": Coalesce(NullIf(F("source"), Value("")), Value(NONE)),
        "campaign": Coalesce(NullIf(F("campaign"), Value("")), Value(NONE)),
        "landing": Coalesce(F("landing__slug"), Value(NONE)),
        "cohort": TruncWeek("spent_on"),
    }[dimension]
    rows = costs.annotate(key=key).values("key").annotate(amount=Sum("amount"))
    return {str(row["key"]): row["amount"] for row in rows}


def funnel(dimension, window, *, now=None):
    """Rows (one per key, then a total) with every stage, revenue, cost, cost per lead
    and average days from lead to paying."""
    if dimension not in DIMENSIONS:
        raise ValueError(dimension)
    leads = lead_stages(dimension, window, now=now)
    views = view_counts(dimension, window)
    costs = cost_totals(dimension, window)
    rows = []
    for key in sorted(set(leads) | set(views) | set(costs)):
        row = {"key": key, "views": views.get(key, 0)}
        stages = leads.get(key, {})
        for stage in STAGES[1:]:
            row[stage] = stages.get(stage, 0)
        row["revenue"] = stages.get("revenue") or 0
        row["cost"] = costs.get(key)
        row["time_to_pay"] = stages.get("time_to_pay")
        rows.append(row)
    total = {"key": "total"}
    for name in (*STAGES, "revenue"):
        total[name] = sum(row[name] for row in rows)
    spent = [row["cost"] for row in rows if row["cost"] is not None]
    total["cost"] = sum(spent) if spent else None
    paid = [(row["time_to_pay"], row["paying"]) for row in rows if row["time_to_pay"] is not None]
    total["time_to_pay"] = (
        sum((t * n for t, n in paid), timedelta()) / sum(n for _t, n in paid) if paid else None
    )
    for row in (*rows, total):
        row["cost_per_lead"] = (
            rounded(row["cost"] / row["leads"], 2)
            if row["cost"] is not None and row["leads"]
            else None
        )
        spent_time = row.pop("time_to_pay")
        # A contact who paid before being one (a student turned lead) paid at once: 0 days,
        # never "-0,0".
        row["days_to_pay"] = (
            rounded(max(spent_time.total_seconds(), 0) / 86400, 1)
            if spent_time is not None
            else None
        )
    return rows + [total]
