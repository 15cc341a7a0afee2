from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from courseops.core.admin import RecordAdmin
from courseops.operations.models import Incident


class OpenFilter(admin.SimpleListFilter):
    title = _("estado")
    parameter_name = "abierta"

    def lookups(self, request, model_admin):
        return [("si", _("Abiertas")), ("no", _("Resueltas"))]

    def queryset(self, request, queryset):
        if self.value() == "si":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(Incident)
class IncidentAdmin(RecordAdmin):
    """Incidents open and close themselves from the checks; staff read them here."""

    list_display = ["title", "check_name", "is_open_display", "opened_at", "resolved_at"]
    list_filter = [OpenFilter, "check_name"]
    search_fields = ["title", "key"]
    show_full_result_count = False
    fields = [
        "title",
        "detail",
        "check_name",
        "key",
        "opened_at",
        "last_seen_at",
        "resolved_at",
        "slack_opened_at",
        "slack_resolved_at",
    ]

    @admin.display(description=_("abierta"), boolean=True)
    def is_open_display(self, obj):
        return obj.is_open
