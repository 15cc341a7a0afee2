"""Alert checks owned by the students app, picked up by courseops.operations."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from courseops.audit.models import AuditEntry
from courseops.operations.alerts.registry import Finding, alert_check

PAYMENT_FAILED = "students.subscription.payment_failed"
BASELINE_DAYS = 7


@alert_check("students.payment_failures", gettext_lazy("Pagos fallidos en aumento"))
def payment_failures_rising(now):
    """More failed renewals in the last 24 hours than usual (the daily average of the week
    before, times a factor), and at least a minimum: a card processor or Stripe setting
    problem shows up here before it shows up in the revenue."""
    day_ago = now - timedelta(days=1)
    counts = AuditEntry.objects.filter(
        action=PAYMENT_FAILED, created_at__gte=day_ago - timedelta(days=BASELINE_DAYS)
    ).aggregate(
        today=Count("pk", filter=Q(created_at__gte=day_ago)),
        before=Count("pk", filter=Q(created_at__lt=day_ago)),
    )
    usual = counts["before"] / BASELINE_DAYS
    threshold = max(
        settings.ALERTS_PAYMENT_FAILURES_MIN, usual * settings.ALERTS_PAYMENT_FAILURES_FACTOR
    )
    if counts["today"] >= threshold:
        yield Finding(
            title=ngettext(
                "%(count)d pago fallido en 24 h",
                "%(count)d pagos fallidos en 24 h",
                counts["today"],
            )
            % {"count": counts["today"]},
            detail=_("Lo normal es %(usual).1f al día (media de los %(days)d días anteriores).")
            % {"usual": usual, "days": BASELINE_DAYS},
        )
