from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models.functions import Left
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin

from courseops.core.admin import MaskedCredentialsMixin
from courseops.messaging import services
from courseops.messaging.models import BudgetRule, Category, OutboundMessage, Suppression
from courseops.messaging.services.addresses import normalize, normalize_phone

# Columns shown on the list; bodies, context and headers stay in the database.
HEAVY_FIELDS = ("html_body", "text_body", "context", "headers", "attachments")


@admin.register(OutboundMessage)
class OutboundMessageAdmin(MaskedCredentialsMixin, ModelAdmin):
    masked_fields = ("html_preview", "text_body", "headers", "context")
    list_display = (
        "id",
        "created_at",
        "channel",
        "category",
        "recipient",
        "from_email",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "provider",
        "short_error",
        "content_type",
    )
    list_display_links = ("id", "recipient")
    # No date_hierarchy or provider filter: both scan the whole table on every load.
    list_filter = ("channel", "status", "category")
    search_fields = ("recipient", "=idempotency_key", "=provider_message_id")
    list_select_related = ("content_type",)
    show_full_result_count = False
    list_per_page = 50
    actions = ("retry_selected", "cancel_selected")

    readonly_fields = (
        "channel",
        "category",
        "recipient",
        "subject",
        "status",
        "attempts",
        "send_at",
        "next_attempt_at",
        "dispatched_at",
        "claimed_at",
        "held_by",
        "provider_called_at",
        "provider_check_at",
        "sent_at",
        "provider",
        "provider_message_id",
        "last_error",
        "policy_note",
        "person_key",
        "time_zone",
        "over_budget",
        "budget_at",
        "idempotency_key",
        "template",
        "language",
        "content_type",
        "object_id",
        "headers",
        "context",
        "html_preview",
        "text_body",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "channel",
                    "category",
                    "recipient",
                    "from_email",
                    "subject",
                    "status",
                    "last_error",
                    "policy_note",
                )
            },
        ),
        (
            _("Política de envío"),
            {"fields": ("person_key", "time_zone", "over_budget", "budget_at")},
        ),
        (
            _("Entrega"),
            {
                "fields": (
                    "attempts",
                    "send_at",
                    "next_attempt_at",
                    "dispatched_at",
                    "claimed_at",
                    "held_by",
                    "provider_called_at",
                    "provider_check_at",
                    "sent_at",
                    "provider",
                    "provider_message_id",
                )
            },
        ),
        (_("Contenido"), {"fields": ("html_preview", "text_body", "headers")}),
        (
            _("Origen"),
            {
                "fields": (
                    "idempotency_key",
                    "template",
                    "language",
                    "context",
                    "content_type",
                    "object_id",
                    "created_at",
                    "updated_at",
                )
            },
        ),
    )

    def get_search_results(self, request, queryset, search_term):
        """A number is encrypted: it is found by its exact value, as typed in any usual
        spelling, rather than by a part of it."""
        results, duplicates = super().get_search_results(request, queryset, search_term)
        try:
            phone = normalize_phone(search_term)
        except ValidationError:
            return results, duplicates
        return results | queryset.filter(recipient=phone), duplicates

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            queryset = queryset.defer(*HEAVY_FIELDS, "last_error").annotate(
                error_head=Left("last_error", 120)
            )
        return queryset

    def has_add_permission(self, request):
        return False  # messages are queued by the apps, not typed in here

    def has_change_permission(self, request, obj=None):
        return False  # a record of what was sent; only the actions change its status

    def has_send_permission(self, request):
        return request.user.has_perm("messaging.change_outboundmessage")

    @admin.display(description=_("último error"))
    def short_error(self, obj):
        head = getattr(obj, "error_head", None)  # annotated on the list page
        return obj.last_error[:120] if head is None else head

    @admin.display(description=_("vista previa"))
    def html_preview(self, obj):
        if not obj.html_body:
            return "—"
        # sandbox="" : no scripts, no forms, no navigation from the previewed mail.
        return format_html(
            '<iframe sandbox="" srcdoc="{}" style="width:100%;height:600px;'
            'border:1px solid #ddd;background:#fff"></iframe>',
            obj.html_body,
        )

    @admin.action(
        description=_("Reintentar / reenviar (fallidos, interrumpidos, cancelados)"),
        permissions=["send"],
    )
    def retry_selected(self, request, queryset):
        retried = sum(
            services.retry_message(message=message, user=request.user)
            for message in queryset.select_related(None).only("pk", "status", "last_error")
        )
        self.message_user(
            request,
            ngettext("%d mensaje vuelve a la cola.", "%d mensajes vuelven a la cola.", retried)
            % retried,
            messages.SUCCESS if retried else messages.WARNING,
        )

    @admin.action(description=_("Cancelar (solo los que esperan en cola)"), permissions=["send"])
    def cancel_selected(self, request, queryset):
        canceled = sum(
            services.cancel_message(message=message, user=request.user)
            for message in queryset.select_related(None).only("pk", "status")
        )
        self.message_user(
            request,
            ngettext("%d mensaje cancelado.", "%d mensajes cancelados.", canceled) % canceled,
            messages.SUCCESS if canceled else messages.WARNING,
        )


class SuppressionForm(forms.ModelForm):
    class Meta:
        model = Suppression
        fields = ("channel", "address", "reason", "source")

    def clean_address(self):
        channel = self.cleaned_data.get("channel")
        if not channel:
            return self.cleaned_data["address"]
        try:
            return normalize(channel, self.cleaned_data["address"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from None


@admin.register(Suppression)
class SuppressionAdmin(ModelAdmin):
    form = SuppressionForm
    list_display = ("address", "channel", "reason", "source", "created_by", "created_at")
    list_filter = ("channel", "reason")
    search_fields = ("address",)
    list_select_related = ("created_by",)
    show_full_result_count = False
    fields = ("channel", "address", "reason", "source")

    def get_readonly_fields(self, request, obj=None):
        return ("channel", "address", "reason", "source") if obj else ()

    def save_model(self, request, obj, form, change):
        if change:
            return
        created = services.suppress(
            channel=obj.channel,
            address=obj.address,
            reason=obj.reason,
            source=obj.source or "admin",
            user=request.user,
        )
        obj.pk = created.pk

    def delete_model(self, request, obj):
        services.unsuppress(
            channel=obj.channel, address=obj.address, source="admin", user=request.user
        )

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class BudgetRuleForm(forms.ModelForm):
    categories = forms.TypedMultipleChoiceField(
        label=_("categorías"),
        choices=[c for c in Category.choices if c[0] != Category.TRANSACTIONAL],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Los mensajes transaccionales nunca se limitan."),
    )

    class Meta:
        model = BudgetRule
        fields = ("name", "channel", "categories", "limit", "period_days", "active")

    def clean_limit(self):
        if not self.cleaned_data["limit"]:
            raise forms.ValidationError(_("Indique al menos 1; para no enviar nada, desactive."))
        return self.cleaned_data["limit"]

    def clean_period_days(self):
        if not self.cleaned_data["period_days"]:
            raise forms.ValidationError(_("El periodo es de al menos un día."))
        return self.cleaned_data["period_days"]


@admin.register(BudgetRule)
class BudgetRuleAdmin(ModelAdmin):
    form = BudgetRuleForm
    list_display = ("name", "channel", "categories", "limit", "period_days", "active")
    list_filter = ("active", "channel")
