from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import display

from courseops.support import services
from courseops.support.kinds import ticket_kind_choices, ticket_kind_label
from courseops.support.models import Ticket


class OpenFilter(admin.SimpleListFilter):
    title = _("abiertos")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", _("Abiertos")), ("overdue", _("Vencidos"))]

    def queryset(self, request, queryset):
        from django.utils import timezone

        if self.value() == "yes":
            return queryset.filter(status__in=Ticket.OPEN_STATUSES)
        if self.value() == "overdue":
            return queryset.filter(status__in=Ticket.OPEN_STATUSES, due_at__lt=timezone.now())
        return queryset


class KindFilter(admin.SimpleListFilter):
    title = _("tipo")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return ticket_kind_choices()

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(Ticket)
class TicketAdmin(ModelAdmin):
    list_display = [
        "id",
        "subject",
        "kind_column",
        "status",
        "priority",
        "assignee",
        "due_at",
        "created_at",
    ]
    list_filter = [OpenFilter, "status", KindFilter, "priority", "assignee"]
    search_fields = ["subject", "description", "object_id"]
    list_select_related = ["assignee"]
    exclude = ["kind"]
    readonly_fields = ["kind_column", "content_type", "object_id", "created_at", "closed_at"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = ["mark_done", "take"]

    @display(description=_("tipo"), ordering="kind")
    def kind_column(self, obj):
        return ticket_kind_label(obj.kind) or "—"

    @admin.action(description=_("Marcar como resueltos"), permissions=["change"])
    def mark_done(self, request, queryset):
        closed = sum(services.close_ticket(ticket=ticket, user=request.user) for ticket in queryset)
        self.message_user(request, _("%(n)d tickets resueltos.") % {"n": closed})

    @admin.action(description=_("Asignármelos"), permissions=["change"])
    def take(self, request, queryset):
        for ticket in queryset:
            services.assign_ticket(ticket=ticket, assignee=request.user, user=request.user)
        self.message_user(request, _("Tickets asignados a usted."))
