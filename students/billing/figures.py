"""Subscription figures for the KPI dashboard, from the Stripe mirror: churn, LTV, new
paying students and cohort retention. Each is one set-based query whatever the data.

A subscription pays from Stripe's `start_date` (`started_at`) to its `ended_at`, unless
it never got past Stripe's incomplete states.
"""

from datetime import timedelta

from django.db.models import Avg, Count, DateField, F, Min, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from students.models import Student, Subscription

NOT_PAYING = ("incomplete", "incomplete_expired")
# A "month" of the cohort table and of LTV's monthly churn: 30 days, the same on every
# database (calendar-month arithmetic differs between PostgreSQL and SQLite).
MONTH = timedelta(days=30)
COHORT_MONTHS = 6
RETENTION_AFTER = (1, 2, 3)


def paying_subscriptions():
    return Subscription.objects.exclude(status__in=NOT_PAYING)


def _live_at(moment):
    """Q for a paying subscription live at `moment` (a datetime or an expression)."""
    return Q(started_at__lte=moment) & (Q(ended_at__isnull=True) | Q(ended_at__gt=moment))


def lifetime_figures(start, end):
    """Of the subscriptions paying at the period's start: how many, how many ended within
    the period, and their average plan price. One query."""
    return (
        paying_subscriptions()
        .filter(started_at__lt=start)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=start))
        .aggregate(
            total=Count("pk"),
            churned=Count("pk", filter=Q(ended_at__lt=end)),
            price=Avg("plan__price"),
        )
    )


def churn(start, end):
    """% of the subscriptions paying at the period's start that ended within it (None when
    none was paying). Subscriptions that start and end inside the period count in neither
    figure, so the rate stays a share of one group and is comparable between periods."""
    figures = lifetime_figures(start, end)
    return 100 * figures["churned"] / figures["total"] if figures["total"] else None


def ltv(start, end):
    """Expected revenue of a paying student: average plan price / monthly churn.

    Why this formula and not realised revenue per customer: we do not keep Stripe's paid
    invoices (an `invoice.paid` event only re-reads the subscription), and realised revenue
    understates young customers who are still paying. The plan price is the monthly
    amount Stripe charges; the period's churn is scaled to 30 days. None while nobody
    churned (an unbounded lifetime is no figure)."""
    figures = lifetime_figures(start, end)
    if not figures["churned"]:
        return None
    monthly_churn = figures["churned"] / figures["total"] * (MONTH / (end - start))
    return float(figures["price"]) / monthly_churn


def new_paying_students(start, end):
    """Students whose first paying subscription started in the period. One query."""
    return (
        Student.objects.annotate(
            first_paid=Min(
                "subscriptions__started_at",
                filter=~Q(subscriptions__status__in=NOT_PAYING),
            )
        )
        .filter(first_paid__gte=start, first_paid__lt=end)
        .count()
    )


def cohort_retention(start, end):
    """Paying students by signup month (the COHORT_MONTHS months up to the period's end):
    {month: {"students": n, 1: %, 2: %, 3: %}}, the share with a live subscription 1, 2
    and 3 months (of 30 days) after signing up, among those who signed up that long before
    the period's end (None while none has). One query over the subscriptions joined to
    their students, counting distinct students (a join scan, not a subquery per student)."""
    now = min(end, timezone.now())
    local_end = timezone.localtime(end - timedelta(microseconds=1))
    first_month = local_end.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    for _ in range(COHORT_MONTHS - 1):
        first_month = (first_month - timedelta(days=1)).replace(day=1)
    signed_up = F("student__created_at")
    counts = {"students": Count("student", distinct=True)}
    for months in RETENTION_AFTER:
        reached = Q(student__created_at__lte=now - months * MONTH)
        counts[f"reached_{months}"] = Count("student", distinct=True, filter=reached)
        counts[f"kept_{months}"] = Count(
            "student", distinct=True, filter=reached & _live_at(signed_up + months * MONTH)
        )
    rows = (
        paying_subscriptions()
        .filter(student__created_at__gte=first_month, student__created_at__lt=end)
        .annotate(month=TruncMonth("student__created_at", output_field=DateField()))
        .values("month")
        .annotate(**counts)
        .order_by("month")
    )
    table = {}
    for row in rows:
        month = table[row["month"]] = {"students": row["students"]}
        for months in RETENTION_AFTER:
            reached = row[f"reached_{months}"]
            month[months] = 100 * row[f"kept_{months}"] / reached if reached else None
    return table
