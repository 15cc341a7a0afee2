import json

from django.contrib import admin, messages
from django.db.models.functions import Left
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from courseops.core.admin import MaskedCredentialsMixin, RecordAdmin
from courseops.webhooks import services
from courseops.webhooks.models import WebhookEvent

# Raw payloads can be large: the list never loads them, only a short error summary.
HEAVY_FIELDS = ("body", "payload", "headers", "last_error")


def _pretty(value):
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
    return format_html('<pre style="white-space: pre-wrap; margin: 0">{}</pre>', text)


@admin.register(WebhookEvent)
class WebhookEventAdmin(MaskedCredentialsMixin, RecordAdmin):
    masked_fields = ("pretty_payload", "pretty_headers", "body")
    # Never deleted: a deleted Typeform event could be replayed (Typeform signs no time).
    list_display = [
        "received_at",
        "provider",
        "event_type",
        "event_id",
        "status",
        "attempts",
        "next_attempt_at",
        "error_summary",
    ]
    list_filter = ["provider", "status", "event_type"]
    search_fields = ["=event_id"]
    ordering = ["-received_at", "-pk"]
    show_full_result_count = False
    actions = ["rerun_selected"]
    fieldsets = [
        (None, {"fields": ["provider", "event_type", "event_id", "status", "attempts"]}),
        (
            _("Tiempos"),
            {"fields": ["received_at", "claimed_at", "next_attempt_at", "processed_at"]},
        ),
        (_("Error"), {"fields": ["last_error"]}),
        (_("Contenido"), {"fields": ["pretty_payload", "pretty_headers", "body"]}),
    ]
    readonly_fields = ["pretty_payload", "pretty_headers"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        match = request.resolver_match
        if match and match.url_name and match.url_name.endswith("_changelist"):
            queryset = queryset.defer(*HEAVY_FIELDS).annotate(error_summary=Left("last_error", 120))
        return queryset

    @admin.display(description=_("último error"))
    def error_summary(self, obj):
        return obj.error_summary

    @admin.display(description=_("contenido"))
    def pretty_payload(self, obj):
        return _pretty(obj.payload)

    @admin.display(description=_("cabeceras"))
    def pretty_headers(self, obj):
        return _pretty(obj.headers)

    def has_rerun_permission(self, request):
        return request.user.has_perm("webhooks.change_webhookevent")

    def _report_rerun(self, request, queued, skipped):
        if queued:
            self.message_user(
                request,
                ngettext(
                    "%(n)d evento vuelve a la cola.",
                    "%(n)d eventos vuelven a la cola.",
                    queued,
                )
                % {"n": queued},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(n)d evento se está procesando ahora y no se ha tocado.",
                    "%(n)d eventos se están procesando ahora y no se han tocado.",
                    skipped,
                )
                % {"n": skipped},
                messages.WARNING,
            )

    @admin.action(description=_("Volver a ejecutar el manejador"), permissions=["rerun"])
    def rerun_selected(self, request, queryset):
        pks = list(queryset.values_list("pk", flat=True))
        self._report_rerun(request, *services.events_rerun(event_pks=pks, user=request.user))
