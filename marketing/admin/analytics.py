"""GA4 conversions: what was sent, what waits and why; staff can ask Google's debug endpoint
what it thinks of a conversion. Read-only; the API secret never appears."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from courseops.core.http import HTTPError
from marketing.analytics.models import Conversion
from marketing.analytics.services import validate


@admin.register(Conversion)
class ConversionAdmin(ModelAdmin):
    list_display = (
        "event",
        "ref",
        "lead",
        "state",
        "attempts",
        "occurred_at",
        "sent_at",
        "last_error",
    )
    list_filter = ("state", "event")
    list_select_related = ("lead",)
    search_fields = ("ref",)
    show_full_result_count = False
    actions = ("check_with_debug_endpoint",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_validate_permission(self, request):
        # Conversions are read-only records; asking Google about one spends our API
        # secret, which is acting on it: not for those who may only read them.
        return request.user.has_perm("marketing.change_conversion")

    @admin.action(
        description=_("Validar con el servidor de depuración de Google"),
        permissions=["validate"],
    )
    def check_with_debug_endpoint(self, request, queryset):
        for conversion in queryset[:20]:
            try:
                problems = validate(conversion)
            except HTTPError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                continue
            if not problems:
                self.message_user(
                    request, _("%(conversion)s: válida.") % {"conversion": conversion}
                )
            for problem in problems:
                self.message_user(
                    request,
                    _("%(conversion)s: %(field)s: %(description)s (%(code)s)")
                    % {
                        "conversion": conversion,
                        "field": problem.get("fieldPath", ""),
                        "description": problem.get("description", ""),
                        "code": problem.get("validationCode", ""),
                    },
                    messages.WARNING,
                )
