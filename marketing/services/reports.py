"""Campaign results per variant, in one aggregate query (the admin page and the API)."""

from django.db.models import Count, Exists, OuterRef, Q, Sum

from courseops.messaging.models import Status
from marketing.models import Consent, Purpose, Recipient

DELIVERED = (Status.DELIVERED,)
REACHED_PROVIDER = (Status.SENT, Status.DELIVERED, Status.BOUNCED, Status.COMPLAINED)


def campaign_results(campaign):
    """[{label, queued, sent, delivered, bounced, complained, clicks, unsubscribed,
    conversions, revenue, click_rate}] per variant. Clicks are unique human clicks; opens are not
    reported as a result, since machines open mail."""
    unsubscribed = Consent.objects.filter(
        lead=OuterRef("lead"),
        purpose=Purpose.NEWSLETTER,
        withdrawn_at__gte=OuterRef("queued_at"),
    )
    rows = (
        Recipient.objects.filter(campaign=campaign, status=Recipient.Status.QUEUED)
        .values("variant__label")
        .annotate(
            queued=Count("pk"),
            sent=Count("pk", filter=Q(message__status__in=REACHED_PROVIDER)),
            delivered=Count("pk", filter=Q(message__status__in=DELIVERED)),
            bounced=Count("pk", filter=Q(message__status=Status.BOUNCED)),
            complained=Count("pk", filter=Q(message__status=Status.COMPLAINED)),
            clicks=Count("pk", filter=Q(clicked_at__isnull=False)),
            conversions=Count("pk", filter=Q(converted_at__isnull=False)),
            unsubscribed=Count("pk", filter=Q(Exists(unsubscribed))),
            # The plan price of the students they became (Stripe's price, mirrored on Plan).
            revenue=Sum(
                "lead__student__plan__price", filter=Q(converted_at__isnull=False), default=0
            ),
        )
        .order_by("variant__label")
    )
    results = []
    for row in rows:
        row["label"] = row.pop("variant__label") or "-"
        row["click_rate"] = round(100 * row["clicks"] / row["sent"], 1) if row["sent"] else 0.0
        results.append(row)
    return results
