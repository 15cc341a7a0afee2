"""HubSpot's sync rows: what is pending, failed and why, with a retry action. Read-only:
the rows follow the contacts and subscriptions; nothing here shows a credential."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from marketing.crm.models import HubSpotSync
from marketing.crm.services import retry_now


@admin.register(HubSpotSync)
class HubSpotSyncAdmin(ModelAdmin):
    list_display = (
        "kind",
        "ref",
        "state",
        "basis",
        "hubspot_id",
        "attempts",
        "changed_at",
        "last_error",
    )
    list_filter = ("state", "kind")
    search_fields = ("ref", "hubspot_id")
    show_full_result_count = False
    actions = ("retry",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return request.user.has_perm("marketing.change_hubspotsync")

    @admin.action(description=_("Reintentar ahora"), permissions=["retry"])
    def retry(self, request, queryset):
        count = retry_now(queryset)
        self.message_user(
            request, _("%(count)d pendientes de enviar a HubSpot.") % {"count": count}
        )
