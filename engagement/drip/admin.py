"""Staff pages of the onboarding drip: each plan's messages on one page (edited in place,
Spanish and English side by side), and the list of what went to whom."""

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin, StackedInline

from courseops.core.admin import RecordAdmin
from engagement.drip.defaults import install_default_drip
from engagement.drip.models import DripMessage, DripSend, PlanDrip


class DripMessageInline(StackedInline):
    model = DripMessage
    extra = 0
    fields = ["goal", ("day", "active"), "subject_es", "body_es", "subject_en", "body_en"]
    ordering = ["day"]


@admin.register(PlanDrip)
class PlanDripAdmin(ModelAdmin):
    """The plan itself is edited in Students › Plans; here only its drip."""

    list_display = ["name", "messages", "active"]
    fields = ["name"]
    readonly_fields = ["name"]
    inlines = [DripMessageInline]
    actions = ["add_default_messages"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(active_messages=Count("drip_messages", filter=Q(drip_messages__active=True)))
        )

    @admin.display(description=_("mensajes activos"), ordering="active_messages")
    def messages(self, obj):
        return obj.active_messages

    def has_add_messages_permission(self, request):
        """The action changes the plan's drip by creating messages: it takes both rights
        (an action's permissions are any-of, so they are checked here together)."""
        return self.has_change_permission(request) and request.user.has_perm(
            "engagement.add_dripmessage"
        )

    @admin.action(
        description=_("Añadir los mensajes por defecto que falten"), permissions=["add_messages"]
    )
    def add_default_messages(self, request, queryset):
        added = sum(install_default_drip(plan) for plan in queryset)
        self.message_user(
            request,
            ngettext("%(n)d mensaje añadido.", "%(n)d mensajes añadidos.", added) % {"n": added},
            messages.SUCCESS,
        )


@admin.register(DripSend)
class DripSendAdmin(RecordAdmin):
    list_display = ["created_at", "student", "day", "goal", "status", "due_at", "sent_at"]
    list_filter = ["status", "goal"]
    list_select_related = ["student"]
    search_fields = ["student__email"]
    raw_id_fields = ["student", "drip_message", "draft", "message"]
    show_full_result_count = False
