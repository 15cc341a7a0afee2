"""The review queue in the admin: staff see only the kinds they may review, edit a
draft beside the context the AI was given and a sandboxed preview, and approve or reject
it from its page or in bulk. Every change goes through the services (locked, audited)."""

import json
from datetime import datetime, time, timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from unfold.admin import ModelAdmin
from unfold.decorators import display
from unfold.views import ChangeList
from unfold.widgets import UnfoldAdminTextareaWidget

from courseops.audit.services import history
from courseops.core.admin import MaskedCredentialsMixin
from courseops.core.dates import date_or_none
from courseops.core.tables import table
from courseops.reviews import services
from courseops.reviews.automations import automation_label
from courseops.reviews.email_editor import bare_preview_response, html_to_markdown, markdown_field
from courseops.reviews.models import (
    Arm,
    AutomationPolicy,
    Draft,
    DraftStatus,
    PolicyMode,
    ReviewPolicy,
)
from courseops.reviews.permissions import (
    can_read_rollout_people,
    can_review,
    reviewable_kinds,
)
from courseops.reviews.registry import all_kinds, get_kind, kind_label
from courseops.reviews.rollout import set_automation_policy, set_kind_policy, validate_policy
from courseops.reviews.sanitize import clean_email_html, markdown_email_html
from courseops.reviews.shadow_log import arm_figures, shadow_log

DECISIONS = {"_approve": "approve", "_reject": "reject", "_retry": "retry"}
STATUS_COLORS = {
    DraftStatus.PENDING: "warning",
    DraftStatus.APPROVED: "info",
    DraftStatus.APPLIED: "success",
    DraftStatus.REJECTED: "danger",
    DraftStatus.FAILED: "danger",
    DraftStatus.WITHDRAWN: "warning",
    DraftStatus.SHADOW: "info",
}
WRITER_COLORS = {"template": "warning", "ai": "info"}
ACTION_LABELS = {
    "reviews.draft.created": _("Creado"),
    "reviews.draft.edited": _("Editado"),
    "reviews.draft.approved": _("Aprobado"),
    "reviews.draft.rejected": _("Rechazado"),
    "reviews.draft.withdrawn": _("Retirado: ya no es cierto"),
    "reviews.draft.retried": _("Reintentado"),
    "reviews.draft.applied": _("Aplicado"),
    "reviews.draft.failed": _("Falló al aplicar"),
}
# Texts that can run to many kilobytes: not loaded for the list.
HEAVY_FIELDS = ("generated_body", "body", "generated_data", "data", "context", "last_error")


class KindFilter(admin.SimpleListFilter):
    title = _("tipo")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        allowed = reviewable_kinds(request.user)
        return [(k.name, k.label) for k in all_kinds() if allowed is None or k.name in allowed]

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


class AgeFilter(admin.SimpleListFilter):
    """How long drafts have waited: what is about to go stale first."""

    title = _("antigüedad")
    parameter_name = "age"
    BUCKETS = {
        "day": (_("Menos de 1 día"), None, timedelta(days=1)),
        "week": (_("De 1 a 7 días"), timedelta(days=1), timedelta(days=7)),
        "older": (_("Más de 7 días"), timedelta(days=7), None),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _older, _newer) in self.BUCKETS.items()]

    def queryset(self, request, queryset):
        if self.value() not in self.BUCKETS:
            return queryset
        _label, min_age, max_age = self.BUCKETS[self.value()]
        now = timezone.now()
        if min_age is not None:
            queryset = queryset.filter(created_at__lte=now - min_age)
        if max_age is not None:
            queryset = queryset.filter(created_at__gt=now - max_age)
        return queryset


class WrittenByFilter(admin.SimpleListFilter):
    title = _("redactado por")
    parameter_name = "offline"

    def lookups(self, request, model_admin):
        return [("0", _("IA")), ("1", _("Plantilla (sin IA)"))]

    def queryset(self, request, queryset):
        if self.value() in ("0", "1"):
            return queryset.filter(offline=self.value() == "1")
        return queryset


class DraftForm(forms.ModelForm):
    class Meta:
        model = Draft
        fields = ["subject", "body", "data", "decision_note"]

    def clean(self):
        cleaned = super().clean()
        if "_reject" in self.data and not (cleaned.get("decision_note") or "").strip():
            self.add_error("decision_note", gettext("Indica el motivo del rechazo."))
        return cleaned


class MarkdownDraftForm(DraftForm):
    """An email draft edited as Markdown: the AI's HTML is opened as Markdown, and saved
    back as HTML only when staff changed it (an untouched draft keeps its exact HTML)."""

    body_markdown = markdown_field(
        "admin:reviews_draft_email_preview",
        help_text=_(
            "Markdown: **negrita**, *cursiva*, [texto del enlace](https://…), listas con «- ». "
            "La vista previa muestra el correo tal como se envía."
        ),
    )

    class Meta(DraftForm.Meta):
        fields = ["subject", "data", "decision_note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body_markdown"].label = _("Texto del correo (Markdown)")
        self.initial["body_markdown"] = html_to_markdown(self.instance.body)

    def clean(self):
        cleaned = super().clean()
        if "body_markdown" in self.changed_data:
            self.instance.body = markdown_email_html(cleaned.get("body_markdown", ""))
        return cleaned


def _is_email(draft):
    try:
        return get_kind(draft.kind).html
    except LookupError:
        return False


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Motivo del rechazo"), widget=UnfoldAdminTextareaWidget(attrs={"rows": 3})
    )


@admin.register(Draft)
class DraftAdmin(MaskedCredentialsMixin, ModelAdmin):
    # Drafts carry no links by design (kinds add them when the draft is sent); the
    # context an app attached may still hold one.
    masked_fields = ("context_pretty",)
    form = DraftForm
    list_display = [
        "id",
        "subject_column",
        "kind_column",
        "status_column",
        "about_column",
        "written_by",
        "created_at",
        "decided_by",
    ]
    list_display_links = ["id", "subject_column"]
    list_filter = [KindFilter, "status", AgeFilter, WrittenByFilter]
    search_fields = ["subject", "recipient", "target_repr"]
    list_select_related = ["decided_by"]
    show_full_result_count = False
    list_per_page = 50
    actions = ["approve_selected", "reject_selected", "retry_selected"]
    fieldsets = [
        (
            _("Borrador"),
            {"fields": ["kind_column", "status", "about_column", "subject", "body", "data"]},
        ),
        (_("Vista previa"), {"fields": ["preview"]}),
        (
            _("Generado"),
            {
                "fields": [
                    "context_pretty",
                    "generated_subject",
                    "generated_body_source",
                    "generated_data",
                    "ai_usage_summary",
                    "written_by_text",
                ]
            },
        ),
        (
            _("Decisión"),
            {
                "fields": [
                    "decision_note",
                    "decided_by",
                    "decided_at",
                    "decided_automatically",
                    "applied_at",
                    "apply_attempts",
                    "held_by",
                    "dispatched_at",
                    "last_error",
                ]
            },
        ),
        (_("Historial"), {"fields": ["decision_history"]}),
    ]
    base_readonly_fields = [
        "kind_column",
        "status",
        "about_column",
        "preview",
        "context_pretty",
        "generated_subject",
        "generated_body_source",
        "generated_data",
        "ai_usage_summary",
        "written_by_text",
        "decided_by",
        "decided_at",
        "decided_automatically",
        "applied_at",
        "apply_attempts",
        "held_by",
        "dispatched_at",
        "last_error",
        "decision_history",
    ]

    # --- Who sees what: the kind's permission is what counts ----------------------------

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        allowed = reviewable_kinds(request.user)
        if allowed is not None:
            queryset = queryset.filter(kind__in=allowed)
        return queryset

    def get_changelist(self, request, **kwargs):
        return DeferringChangeList

    def has_view_permission(self, request, obj=None):
        if obj is not None:
            return can_review(request.user, obj.kind)
        allowed = reviewable_kinds(request.user)
        return allowed is None or bool(allowed)

    def has_change_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request):
        return False  # drafts come from the apps that write them

    def has_delete_permission(self, request, obj=None):
        return False  # decisions are history; reject instead

    def get_fieldsets(self, request, obj=None):
        """Drafts without structured content (emails) do not show empty data boxes; an
        email being edited is written in Markdown beside its live preview."""
        fieldsets = self.fieldsets
        if obj is not None and obj.generated_data is None:
            hidden = {"data", "generated_data"}
            fieldsets = [
                (name, {**options, "fields": [f for f in options["fields"] if f not in hidden]})
                for name, options in fieldsets
            ]
        if self._edits_markdown(obj):
            fieldsets = [
                (
                    name,
                    {
                        **options,
                        "fields": [
                            "body_markdown" if f == "body" else f
                            for f in options["fields"]
                            if f != "preview"
                        ],
                    },
                )
                for name, options in fieldsets
            ]
            fieldsets = [item for item in fieldsets if item[1]["fields"]]
        return self.mask_fieldsets(request, fieldsets)

    @staticmethod
    def _edits_markdown(obj):
        return obj is not None and obj.is_editable and _is_email(obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if self._edits_markdown(obj):
            kwargs["form"] = MarkdownDraftForm
        return super().get_form(request, obj, change, **kwargs)

    def get_urls(self):
        view = self.admin_site.admin_view(require_POST(self.email_preview))
        return [
            path("email-preview/", view, name="reviews_draft_email_preview"),
            *super().get_urls(),
        ]

    def email_preview(self, request):
        """The draft email as sent for the Markdown being typed (for whoever may review a
        kind of draft)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        return bare_preview_response(request)

    @property
    def media(self):
        return super().media + forms.Media(js=["reviews/email_preview.js"])

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_editable:
            return self.mask_readonly_fields(request, self.base_readonly_fields)
        return self.mask_readonly_fields(
            request, [*self.base_readonly_fields, "subject", "body", "data", "decision_note"]
        )

    # --- Columns and read-only panels ---------------------------------------------------

    @display(description=_("asunto"), ordering="subject")
    def subject_column(self, obj):
        return obj.subject or "—"

    @display(description=_("tipo"), ordering="kind")
    def kind_column(self, obj):
        return kind_label(obj.kind)

    @display(description=_("estado"), ordering="status", label=STATUS_COLORS)
    def status_column(self, obj):
        return obj.status, obj.get_status_display()

    @display(description=_("sobre"))
    def about_column(self, obj):
        return " · ".join(part for part in (obj.target_repr, obj.recipient) if part) or "—"

    @display(description=_("redactado por"), ordering="offline", label=WRITER_COLORS)
    def written_by(self, obj):
        """The offline provider's drafts are plain templates: say so, not "sin conexión ✓"."""
        return ("template", _("Plantilla (sin IA)")) if obj.offline else ("ai", _("IA"))

    @display(description=_("redactado por"))
    def written_by_text(self, obj):
        """The same words on the draft's page, where unfold does not draw the label."""
        return _("Plantilla (sin IA)") if obj.offline else _("IA")

    @display(description=_("vista previa"))
    def preview(self, obj):
        try:
            html = get_kind(obj.kind).html
        except LookupError:
            html = False
        if not html:
            return format_html('<pre style="white-space: pre-wrap">{}</pre>', obj.body)
        # An empty sandbox: no scripts, no same-origin access, no forms, no top navigation.
        return format_html(
            '<iframe sandbox="" title="{}" srcdoc="{}" style="width: 100%; min-height: 28rem;'
            ' border: 1px solid #d4d4d8; border-radius: 6px; background: #fff"></iframe>',
            gettext("Vista previa del correo"),
            clean_email_html(obj.body),
        )

    @display(description=_("contexto dado a la IA"))
    def context_pretty(self, obj):
        text = json.dumps(obj.context, indent=2, ensure_ascii=False, cls=DjangoJSONEncoder)
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', text)

    @display(description=_("cuerpo generado (código)"))
    def generated_body_source(self, obj):
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', obj.generated_body)

    @display(description=_("uso de IA"))
    def ai_usage_summary(self, obj):
        usage = obj.ai_usage
        if usage is None:
            return "—"
        summary = format_html(
            "{} v{} · {} / {} · {} + {} tokens",
            usage.prompt_name,
            usage.prompt_version,
            usage.provider,
            usage.model,
            usage.tokens_in,
            usage.tokens_out,
        )
        if not self.admin_site.is_registered(type(usage)):
            return summary
        url = reverse(f"{self.admin_site.name}:ai_aiusage_change", args=[usage.pk])
        return format_html('<a href="{}">{}</a>', url, summary)

    @display(description=_("historial de decisiones"))
    def decision_history(self, obj):
        entries = [
            {"entry": entry, "label": ACTION_LABELS.get(entry.action, entry.action)}
            for entry in history(obj)
        ]
        return render_to_string("reviews/admin/draft_history.html", {"entries": entries})

    # --- Saving and deciding through the services --------------------------------------

    def save_model(self, request, obj, form, change):
        """Nothing is saved here: `response_change` calls the services, which lock the
        row, re-check its status and write the audit entry."""

    def response_change(self, request, obj):
        decision = next((DECISIONS[key] for key in DECISIONS if key in request.POST), None)
        edits = {"subject": obj.subject, "body": obj.body, "data": obj.data}
        try:
            if decision == "approve":
                services.approve_draft(
                    draft=obj, user=request.user, note=obj.decision_note, **edits
                )
                self.message_user(request, gettext("Borrador aprobado."), messages.SUCCESS)
            elif decision == "reject":
                services.reject_draft(draft=obj, user=request.user, reason=obj.decision_note)
                self.message_user(request, gettext("Borrador rechazado."), messages.SUCCESS)
            elif decision == "retry":
                services.edit_draft(draft=obj, user=request.user, **edits)
                services.retry_draft(draft=obj, user=request.user)
                self.message_user(request, gettext("Reintentando el borrador."), messages.SUCCESS)
            elif obj.is_editable:
                services.edit_draft(draft=obj, user=request.user, **edits)
        except (services.DraftStateError, PermissionDenied, ValidationError) as exc:
            self.message_user(request, _error_text(exc), messages.ERROR)
            return HttpResponseRedirect(request.path)
        if decision is None:
            return super().response_change(request, obj)
        return HttpResponseRedirect(reverse("admin:reviews_draft_changelist"))

    # --- Bulk actions -------------------------------------------------------------------

    @admin.action(description=_("Aprobar los borradores seleccionados"), permissions=["change"])
    def approve_selected(self, request, queryset):
        self._bulk(request, queryset, services.approve_draft, gettext("aprobados"))

    @admin.action(
        description=_("Reintentar los borradores fallidos seleccionados"), permissions=["change"]
    )
    def retry_selected(self, request, queryset):
        self._bulk(request, queryset, services.retry_draft, gettext("reintentados"))

    @admin.action(description=_("Rechazar los borradores seleccionados"), permissions=["change"])
    def reject_selected(self, request, queryset):
        form = RejectForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]

            def reject(*, draft, user):
                return services.reject_draft(draft=draft, user=user, reason=reason)

            self._bulk(request, queryset, reject, gettext("rechazados"))
            return None
        return TemplateResponse(
            request,
            "reviews/admin/reject_selected.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("Rechazar borradores"),
                "opts": self.model._meta,
                "form": form,
                "drafts": queryset.select_related(None).only("pk", "subject", "kind"),
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )

    def _bulk(self, request, queryset, decide, done_label):
        done, skipped = 0, []
        for draft in queryset.select_related(None).only("pk", "kind", "status"):
            try:
                decide(draft=draft, user=request.user)
                done += 1
            except (services.DraftStateError, PermissionDenied, ValidationError) as exc:
                skipped.append(f"#{draft.pk}: {_error_text(exc)}")
        self.message_user(
            request, gettext("%(count)d borradores %(what)s.") % {"count": done, "what": done_label}
        )
        if skipped:
            self.message_user(
                request,
                gettext("Omitidos: %(list)s") % {"list": "; ".join(skipped[:20])},
                messages.WARNING,
            )


class DeferringChangeList(ChangeList):
    """The queue never loads bodies, data or context for the list."""

    def get_queryset(self, request, exclude_parameters=None):
        return super().get_queryset(request, exclude_parameters).defer(*HEAVY_FIELDS)


def _error_text(exc):
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


class StagedPolicyForm(forms.ModelForm):
    """Checks the policy as saving it will, so a shadow period with no end, or one that
    ends before it starts, is a form error rather than a 500 from save_model."""

    def clean(self):
        data = super().clean()
        if not self.errors:
            validate_policy(
                mode=data.get("mode"),
                percent=data.get("percent") or 0,
                shadow_from=data.get("shadow_from"),
                shadow_until=data.get("shadow_until"),
            )
        return data


class PolicyForm(StagedPolicyForm):
    class Meta:
        model = ReviewPolicy
        fields = ["mode", "percent", "shadow_from", "shadow_until"]


class StagedPolicyAdmin(ModelAdmin):
    """A rollout's page: its mode, its shadow period, and the figures to move it by (the
    shadow log beside what staff sent by hand, and how drafts fared in each arm)."""

    change_form_outer_after_template = "reviews/admin/rollout_figures.html"
    list_select_related = ["updated_by"]
    readonly_fields = ["name_column", "now_column", "updated_at", "updated_by"]
    fields = [
        "name_column",
        "now_column",
        "mode",
        "percent",
        "shadow_from",
        "shadow_until",
        "updated_at",
        "updated_by",
    ]

    @display(description=_("ahora"))
    def now_column(self, obj):
        if obj.mode == PolicyMode.SHADOW or obj.in_shadow_period(timezone.now()):
            return gettext("En sombra: se redacta y se calcula, no se envía nada.")
        if obj.mode == PolicyMode.PERCENT:
            return gettext(
                "Automático para el %(percent)d %% de las personas; el resto, en revisión."
            ) % {"percent": obj.percent}
        return obj.get_mode_display()

    def has_add_permission(self, request):
        return False  # one row per registered kind or automation, created after migrate

    def has_delete_permission(self, request, obj=None):
        return False

    def figures_filter(self, obj):
        raise NotImplementedError

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        # Figures are read for a GET by staff who may see the page, never for a POST.
        if request.method == "GET" and obj and self.has_view_or_change_permission(request, obj):
            start, end = _period(request, obj)
            extra_context.update(self.figures(obj, start, end, user=request.user))
            extra_context.update(period_start=start, period_end=end)
        return super().change_view(request, object_id, form_url, extra_context)

    def figures(self, obj, start, end, *, user):
        arms = arm_figures(start=start, end=end, **self.figures_filter(obj))
        return {"arm_table": _arm_table(arms)}


def _period(request, obj):
    """The figures' period: the dates staff chose (?desde=&hasta=, both days included),
    else the shadow period, else the last seven days."""
    start = date_or_none(request.GET.get("desde"))
    end = date_or_none(request.GET.get("hasta"))
    if start and end and start <= end:
        zone = timezone.get_current_timezone()
        return (
            datetime.combine(start, time.min, tzinfo=zone),
            datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
        )
    if request.GET.get("desde") or request.GET.get("hasta"):
        messages.warning(
            request,
            gettext(
                "Ese periodo no es válido (dos fechas reales, la primera no posterior a "
                "la segunda): se muestra el periodo por defecto."
            ),
        )
    if obj.shadow_until:
        return obj.shadow_from or obj.updated_at, obj.shadow_until
    return timezone.now() - timedelta(days=7), timezone.now()


def _rate(value):
    return "—" if value is None else f"{value:.0f} %"


def _arm_table(arms):
    rows = [
        [
            Arm(arm).label,
            figures.drafts,
            figures.decided_by_staff,
            figures.approved_unedited,
            figures.approved_edited,
            figures.rejected,
            figures.automatic,
            _rate(figures.unedited_rate),
        ]
        for arm, figures in arms.items()
    ]
    headers = [
        _("Grupo"),
        _("Borradores"),
        _("Decididos por el equipo"),
        _("Aprobados sin editar"),
        _("Aprobados con cambios"),
        _("Rechazados"),
        _("Salieron solos"),
        _("Aprobados sin editar (%)"),
    ]
    return table(
        headers, rows, empty=gettext("Ningún borrador en este periodo."), numeric=range(1, 8)
    )


@admin.register(ReviewPolicy)
class ReviewPolicyAdmin(StagedPolicyAdmin):
    form = PolicyForm
    list_display = ["name_column", "mode", "percent", "shadow_until", "updated_at", "updated_by"]

    @display(description=_("tipo"), ordering="kind")
    def name_column(self, obj):
        return kind_label(obj.kind)

    def figures_filter(self, obj):
        return {"kind": obj.kind}

    def save_model(self, request, obj, form, change):
        set_kind_policy(
            kind=obj.kind,
            user=request.user,
            mode=obj.mode,
            percent=obj.percent,
            shadow_from=obj.shadow_from,
            shadow_until=obj.shadow_until,
        )


class AutomationPolicyForm(StagedPolicyForm):
    class Meta:
        model = AutomationPolicy
        fields = ["mode", "percent", "shadow_from", "shadow_until"]


@admin.register(AutomationPolicy)
class AutomationPolicyAdmin(StagedPolicyAdmin):
    form = AutomationPolicyForm
    list_display = ["name_column", "mode", "percent", "shadow_until", "updated_at", "updated_by"]

    @display(description=_("automatización"), ordering="automation")
    def name_column(self, obj):
        return automation_label(obj.automation)

    def figures_filter(self, obj):
        return {"automation": obj.automation}

    def figures(self, obj, start, end, *, user):
        shown = can_read_rollout_people(user, automation=obj.automation)
        log = shadow_log(automation=obj.automation, start=start, end=end, people=shown)
        people = table(
            [_("Persona"), _("Lo que habría enviado"), _("Lo que el equipo envió a mano")],
            [
                [row.person, "; ".join(row.would_have_sent), "; ".join(row.sent_by_hand)]
                for row in log.people
            ],
            empty=gettext("Nada en sombra en este periodo."),
        )
        arms = super().figures(obj, start, end, user=user)
        return {**arms, "shadow": log, "people_table": people if shown else ""}

    def save_model(self, request, obj, form, change):
        set_automation_policy(
            automation=obj.automation,
            user=request.user,
            mode=obj.mode,
            percent=obj.percent,
            shadow_from=obj.shadow_from,
            shadow_until=obj.shadow_until,
        )
