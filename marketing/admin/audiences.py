"""Ad audiences (segment -> platform) with their sync log, and a sync-now action."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from marketing.audiences.models import AdAudience, AudienceSync
from marketing.audiences.services import sync_audience


class SyncInline(TabularInline):
    model = AudienceSync
    extra = 0
    max_num = 0
    can_delete = False
    fields = ("started_at", "reason", "status", "added", "removed", "error")
    readonly_fields = fields
    ordering = ["-started_at"]


@admin.register(AdAudience)
class AdAudienceAdmin(ModelAdmin):
    list_display = ("name", "segment", "provider", "external_id", "last_synced_at", "active")
    list_select_related = ("segment",)
    readonly_fields = ("external_id", "last_synced_at")
    inlines = (SyncInline,)
    actions = ("sync_now",)

    @admin.action(description=_("Sincronizar ahora"), permissions=["change"])
    def sync_now(self, request, queryset):
        logs = [sync_audience(audience=audience) for audience in queryset.select_related("segment")]
        failed = [log for log in logs if log.status == AudienceSync.Status.FAILED]
        self.message_user(
            request,
            _("%(n)d sincronizados, %(f)d con error (ver el registro).")
            % {"n": len(logs) - len(failed), "f": len(failed)},
        )


@admin.register(AudienceSync)
class AudienceSyncAdmin(ModelAdmin):
    list_display = ("audience", "started_at", "reason", "status", "added", "removed", "error")
    list_filter = ("status", "reason")
    list_select_related = ("audience",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
