from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from courseops.audit.services import log_action
from courseops.core.admin import RecordAdmin
from courseops.operations import tokens
from courseops.operations.alerts import services as alert_services
from courseops.operations.kpis.registry import registered_kpis
from courseops.operations.models import ApiToken, Incident, KpiTarget
from courseops.operations.privacy import admin as privacy_admin  # noqa: F401  (registers it)
from courseops.operations.technical_admin import restrict_technical_models
from courseops.operations.tokens import scope_choices, token_holder_problem


class OpenFilter(admin.SimpleListFilter):
    title = _("estado")
    parameter_name = "abierta"

    def lookups(self, request, model_admin):
        return [("si", _("Abiertas")), ("no", _("Resueltas"))]

    def queryset(self, request, queryset):
        if self.value() == "si":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(Incident)
class IncidentAdmin(RecordAdmin):
    """Incidents open and close themselves from the checks; staff read them here."""

    list_display = [
        "title",
        "severity",
        "check_name",
        "is_open_display",
        "opened_at",
        "acknowledged_by",
        "snoozed_until",
        "resolved_at",
    ]
    list_filter = [OpenFilter, "severity", "check_name"]
    list_select_related = ["acknowledged_by"]
    search_fields = ["title", "key"]
    show_full_result_count = False
    actions = ["acknowledge", "snooze_hour", "snooze_day"]
    fields = [
        "title",
        "severity",
        "detail",
        "check_name",
        "key",
        "opened_at",
        "last_seen_at",
        "resolved_at",
        "acknowledged_at",
        "acknowledged_by",
        "snoozed_until",
        "slack_opened_at",
        "slack_resolved_at",
    ]

    @admin.display(description=_("abierta"), boolean=True)
    def is_open_display(self, obj):
        return obj.is_open

    def has_acknowledge_permission(self, request):
        return request.user.has_perm("operations.acknowledge_incident")

    @admin.action(description=_("Reconocer (me ocupo yo)"), permissions=["acknowledge"])
    def acknowledge(self, request, queryset):
        count = alert_services.incidents_acknowledge(incidents=queryset, user=request.user)
        self.message_user(request, _("%(count)d incidencias reconocidas.") % {"count": count})

    def _snooze(self, request, queryset, hours):
        until = timezone.now() + timedelta(hours=hours)
        count = alert_services.incidents_snooze(incidents=queryset, user=request.user, until=until)
        self.message_user(request, _("%(count)d incidencias pospuestas.") % {"count": count})

    @admin.action(description=_("Posponer 1 hora"), permissions=["acknowledge"])
    def snooze_hour(self, request, queryset):
        self._snooze(request, queryset, 1)

    @admin.action(description=_("Posponer 1 día"), permissions=["acknowledge"])
    def snooze_day(self, request, queryset):
        self._snooze(request, queryset, 24)


class ApiTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("alcances"), widget=forms.CheckboxSelectMultiple, choices=scope_choices
    )

    class Meta:
        model = ApiToken
        fields = ["name", "user", "scopes", "expires_at"]

    def clean_user(self):
        user = self.cleaned_data["user"]
        if problem := token_holder_problem(user):
            raise forms.ValidationError(problem)
        return user


@admin.register(ApiToken)
class ApiTokenAdmin(ModelAdmin):
    """Tokens are issued here (the key is shown once) and revoked, never edited."""

    form = ApiTokenForm
    list_display = ["name", "user", "prefix", "scopes", "expires_at", "last_used_at", "revoked_at"]
    list_select_related = ["user"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    actions = ["revoke_selected"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)

    def save_model(self, request, obj, form, change):
        key = tokens.save_new_token(obj, issued_by=request.user)
        self.message_user(
            request,
            _("Token creado. Cópielo ahora, no se volverá a mostrar: %(key)s") % {"key": key},
            messages.WARNING,
        )

    @admin.action(description=_("Revocar los tokens seleccionados"), permissions=["change"])
    def revoke_selected(self, request, queryset):
        revoked = sum(tokens.revoke_token(token=token, user=request.user) for token in queryset)
        self.message_user(request, _("%(n)d tokens revocados.") % {"n": revoked})


class KpiTargetForm(forms.ModelForm):
    key = forms.ChoiceField(label=_("indicador"))

    class Meta:
        model = KpiTarget
        fields = ["key", "target"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key"].choices = [
            (kpi.key, f"{kpi.area} · {kpi.label}") for kpi in registered_kpis()
        ]


@admin.register(KpiTarget)
class KpiTargetAdmin(ModelAdmin):
    """Targets of the dashboard's KPIs; a KPI without one uses its default."""

    form = KpiTargetForm
    list_display = ["key", "target", "updated_by", "updated_at"]
    list_editable = ["target"]
    list_select_related = ["updated_by"]

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
        log_action(
            obj,
            "operations.kpi_target.set",
            user=request.user,
            data={"key": obj.key, "target": obj.target},
        )


# Last, once the third-party admins (beat, DRF tokens: earlier in INSTALLED_APPS) exist.
restrict_technical_models()
