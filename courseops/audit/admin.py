from django.contrib import admin

from courseops.audit.models import AuditEntry
from courseops.core.admin import MaskedCredentialsMixin, RecordAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(MaskedCredentialsMixin, RecordAdmin):
    masked_fields = ("data",)
    list_display = ["created_at", "action", "object_repr", "actor"]
    list_filter = ["action", "content_type"]
    search_fields = ["action", "object_repr", "object_id"]
    list_select_related = ["actor"]
    date_hierarchy = "created_at"
    show_full_result_count = False
