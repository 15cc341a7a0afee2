from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from courseops.audit.models import AuditEntry
from courseops.audit.sentences import action_label, sentence
from courseops.core.admin import MaskedCredentialsMixin, RecordAdmin


class ActionFilter(admin.SimpleListFilter):
    """The actions recorded so far, in words."""

    title = _("acción")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        actions = AuditEntry.objects.order_by().values_list("action", flat=True).distinct()
        return sorted(
            ((action, f"{action_label(action)} ({action.split('.', 1)[0]})") for action in actions),
            key=lambda item: item[1],
        )

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(MaskedCredentialsMixin, RecordAdmin):
    masked_fields = ("data",)
    list_display = ["created_at", "what_happened"]
    list_filter = [ActionFilter, "content_type"]
    search_fields = ["action", "object_repr", "object_id"]
    list_select_related = ["actor", "content_type"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    @display(description=_("qué pasó"))
    def what_happened(self, obj):
        return sentence(obj)
