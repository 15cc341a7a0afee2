from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from courseops.ai import reports
from courseops.ai.models import AIUsage


@admin.register(AIUsage)
class AIUsageAdmin(ModelAdmin):
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
        "provider",
        "offline",
        "cache_hit",
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
            # Totals follow the staff's filters: the changelist's own filtered queryset.
            context["usage_totals"] = reports.usage_totals(context["cl"].queryset)
            context["budget_today"] = reports.budget_today()
            context["summary_title"] = _("Totales de los usos filtrados")
        return response

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
