import datetime as dt

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courseops.ai import reports
from courseops.ai.models import AIUsage
from courseops.ai.providers import PROVIDERS
from courseops.core.admin import RecordAdmin

SUMMARY_DAYS = 30


class ProviderFilter(admin.SimpleListFilter):
    """Choices from the provider registry, so the filter costs no DISTINCT over the ledger."""

    title = _("proveedor")
    parameter_name = "provider"

    def lookups(self, request, model_admin):
        return [(name, name) for name in PROVIDERS]

    def queryset(self, request, queryset):
        return queryset.filter(provider=self.value()) if self.value() else queryset


@admin.register(AIUsage)
class AIUsageAdmin(RecordAdmin):
    """The AI ledger, read-only: every call with its cost, and totals for the filtered rows."""

    list_display = [
        "created_at",
        "prompt_name",
        "prompt_version",
        "provider",
        "model",
        "tokens_in",
        "tokens_out",
        "cost_usd",
        "latency_ms",
        "cache_hit",
        "offline",
        "offline_reason",
        "status",
        "requested_by",
        "user",
    ]
    list_filter = [
        "prompt_name",
        "model",
        ProviderFilter,
        "offline",
        "cache_hit",
        "cache_policy",
        "status",
        "kind",
        "created_at",
    ]
    search_fields = ["requested_by", "prompt_name", "model"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    list_before_template = "admin/ai/aiusage/summary.html"

    def get_queryset(self, request):
        return super().get_queryset(request).defer("error")

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context:
            # Totals follow the staff's filters; without a date filter they cover the last
            # SUMMARY_DAYS days so the page stays fast on a ledger of years.
            queryset = context["cl"].queryset
            title = _("Totales de los usos filtrados")
            if not any(key.startswith("created_at") for key in request.GET):
                since = timezone.now() - dt.timedelta(days=SUMMARY_DAYS)
                queryset = queryset.filter(created_at__gte=since)
                title = _("Totales de los usos filtrados, últimos %(days)d días") % {
                    "days": SUMMARY_DAYS
                }
            context["usage_totals"] = reports.usage_totals(queryset)
            context["budget_today"] = reports.budget_today()
            context["summary_title"] = title
        return response
