from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from courseops.audit.models import AuditEntry
from courseops.audit.sentences import sentence, verb_choices, verb_choices_of
from courseops.core.admin import MaskedCredentialsMixin, RecordAdmin


class ActionFilter(admin.SimpleListFilter):
    """What was done, in words: the known verbs (sentences.VERBS), not a DISTINCT over the
    whole log on every page load. Which kind of object is the content type's filter."""

    title = _("acción")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return sorted(((verb, label) for verb, label in verb_choices().items()), key=lambda i: i[1])

    def queryset(self, request, queryset):
        verbs = verb_choices_of(self.value())
        if not verbs:
            return queryset
        match = Q()
        for verb in verbs:
            match |= Q(action__endswith=f".{verb}")
        return queryset.filter(match)


@admin.register(AuditEntry)
class AuditEntryAdmin(MaskedCredentialsMixin, RecordAdmin):
    masked_fields = ("data",)
    list_display = ["created_at", "what_happened"]
    # Dates by fixed ranges (today, past 7 days, this month, this year), not a
    # date_hierarchy: its links are a DISTINCT over the whole log on every load.
    list_filter = [ActionFilter, "content_type", "created_at"]
    search_fields = ["action", "object_repr", "object_id"]
    list_select_related = ["actor", "content_type"]
    show_full_result_count = False

    @display(description=_("qué pasó"))
    def what_happened(self, obj):
        return sentence(obj)
