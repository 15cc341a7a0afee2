from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models.functions import Left
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin, TabularInline

from courseops.core.admin import RecordAdmin
from courseops.core.redaction import pretty_json
from courseops.outbound.catalogue import choices
from courseops.outbound.models import Delivery, DeliveryAttempt, Endpoint
from courseops.outbound.services import delivery as deliveries
from courseops.outbound.services import endpoints


class EndpointForm(forms.ModelForm):
    """URL, description and events; the secret is never a form field (it is generated,
    shown once, and rotated by an action)."""

    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("eventos"), widget=forms.CheckboxSelectMultiple, choices=choices
    )

    class Meta:
        model = Endpoint
        fields = ["url", "description", "events"]

    def clean_url(self):
        try:
            return endpoints.clean_url(self.cleaned_data["url"])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["url"]) from exc


@admin.register(Endpoint)
class EndpointAdmin(ModelAdmin):
    form = EndpointForm
    list_display = ["__str__", "url", "event_count", "origin", "is_active", "failing_since"]
    list_filter = ["is_active", "origin"]
    search_fields = ["url", "description"]
    actions = ["rotate_secret", "enable_selected"]
    readonly_fields = [
        "origin",
        "is_active",
        "failing_since",
        "disabled_at",
        "disabled_reason",
        "created_by",
        "created_at",
    ]
    list_select_related = ["created_by"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def get_fields(self, request, obj=None):
        fields = ["url", "description", "events"]
        return fields + self.readonly_fields if obj else fields

    @admin.display(description=_("eventos"))
    def event_count(self, obj):
        return len(obj.events)

    def save_model(self, request, obj, form, change):
        if change:
            endpoints.endpoint_change(endpoint=obj, user=request.user)
            return
        endpoint, secret = endpoints.endpoint_create(
            url=obj.url,
            events=obj.events,
            description=obj.description,
            origin=Endpoint.Origin.ADMIN,
            user=request.user,
        )
        obj.pk = endpoint.pk
        self.message_user(
            request,
            _("Destino creado. Copie su secreto ahora, no se volverá a mostrar: %(secret)s")
            % {"secret": secret},
            messages.WARNING,
        )

    def delete_model(self, request, obj):
        endpoints.endpoint_delete(endpoint=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for endpoint in queryset:
            endpoints.endpoint_delete(endpoint=endpoint, user=request.user)

    @admin.action(description=_("Rotar el secreto (se muestra una vez)"), permissions=["change"])
    def rotate_secret(self, request, queryset):
        for endpoint in queryset:
            secret = endpoints.endpoint_rotate_secret(endpoint=endpoint, user=request.user)
            self.message_user(
                request,
                _(
                    "Nuevo secreto de %(endpoint)s (cópielo ahora; el anterior sigue firmando "
                    "24 horas): %(secret)s"
                )
                % {"endpoint": endpoint, "secret": secret},
                messages.WARNING,
            )

    @admin.action(description=_("Volver a activar"), permissions=["change"])
    def enable_selected(self, request, queryset):
        enabled = sum(endpoints.endpoint_enable(endpoint=e, user=request.user) for e in queryset)
        self.message_user(
            request,
            ngettext("%(n)d destino activado.", "%(n)d destinos activados.", enabled)
            % {"n": enabled},
        )


class AttemptInline(TabularInline):
    model = DeliveryAttempt
    fields = ["started_at", "status_code", "response_ms", "error", "response_excerpt"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(RecordAdmin):
    list_display = [
        "created_at",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "error_summary",
    ]
    list_select_related = ["event", "endpoint"]
    list_filter = ["status", "endpoint", "event__event_type"]
    search_fields = ["=event__event_id"]
    ordering = ["-created_at", "-pk"]
    show_full_result_count = False
    actions = ["replay_selected"]
    inlines = [AttemptInline]
    fields = [
        "event_type",
        "event_id",
        "endpoint",
        "status",
        "attempts",
        "takeovers",
        "created_at",
        "next_attempt_at",
        "delivered_at",
        "last_status_code",
        "last_error",
        "pretty_payload",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        match = request.resolver_match
        if match and match.url_name and match.url_name.endswith("_changelist"):
            queryset = queryset.defer(
                "event__payload", "last_error", "endpoint__secret", "endpoint__previous_secret"
            ).annotate(error_summary=Left("last_error", 120))
        return queryset

    @admin.display(description=_("evento"), ordering="event__event_type")
    def event_type(self, obj):
        return obj.event.event_type

    @admin.display(description=_("id del evento (webhook-id)"))
    def event_id(self, obj):
        return obj.event.event_id

    @admin.display(description=_("último error"))
    def error_summary(self, obj):
        return obj.error_summary

    @admin.display(description=_("contenido enviado"))
    def pretty_payload(self, obj):
        return format_html(
            '<pre style="white-space: pre-wrap; margin: 0">{}</pre>', pretty_json(obj.event.payload)
        )

    def has_replay_permission(self, request):
        return request.user.has_perm("outbound.change_delivery")

    @admin.action(description=_("Reenviar"), permissions=["replay"])
    def replay_selected(self, request, queryset):
        pks = list(queryset.values_list("pk", flat=True))
        queued, skipped = deliveries.deliveries_replay(delivery_pks=pks, user=request.user)
        if queued:
            self.message_user(
                request,
                ngettext(
                    "%(n)d entrega vuelve a la cola.", "%(n)d entregas vuelven a la cola.", queued
                )
                % {"n": queued},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(n)d entrega no se reenvía (enviándose ahora, destino desactivado o "
                    "persona borrada).",
                    "%(n)d entregas no se reenvían (enviándose ahora, destino desactivado o "
                    "persona borrada).",
                    skipped,
                )
                % {"n": skipped},
                messages.WARNING,
            )
