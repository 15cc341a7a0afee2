"""The outbound webhooks' alert, picked up by courseops.operations."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from courseops.operations.alerts.registry import Finding, alert_check
from courseops.outbound.models import Endpoint


@alert_check(
    "outbound.endpoint_disabled", gettext_lazy("Destino de webhooks desactivado"), "warning"
)
def endpoints_disabled(now):
    """One incident per endpoint the delivery service disabled; it resolves when staff
    enable the endpoint again (or delete it)."""
    for endpoint in Endpoint.objects.filter(is_active=False, disabled_at__isnull=False).only(
        "pk", "url", "description", "disabled_reason", "disabled_at"
    ):
        yield Finding(
            key=str(endpoint.pk),
            title=_("Webhooks a %(endpoint)s desactivados") % {"endpoint": endpoint},
            detail=endpoint.disabled_reason,
        )
