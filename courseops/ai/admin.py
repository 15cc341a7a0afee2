import datetime as dt

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from courseops.ai import evals, experiments, reports
from courseops.ai.errors import PromptError
from courseops.ai.gateway import OFFLINE_MODEL
from courseops.ai.models import AIEvalRun, AIUsage, PromptExperiment
from courseops.ai.prompts import load_prompt, prompt_files
from courseops.ai.providers import PROVIDERS
from courseops.core import display
from courseops.core.admin import RecordAdmin
from courseops.core.tables import table

SUMMARY_DAYS = 30


class ProviderFilter(admin.SimpleListFilter):
    """Choices from the provider registry, so the filter costs no DISTINCT over the ledger."""

    title = _("proveedor")
    parameter_name = "provider"

    def lookups(self, request, model_admin):
        return [(name, name) for name in PROVIDERS]

    def queryset(self, request, queryset):
        return queryset.filter(provider=self.value()) if self.value() else queryset


class PromptFilter(admin.SimpleListFilter):
    """Choices from the prompt files, and transcriptions (no prompt): no DISTINCT over the
    ledger. A prompt whose file is gone is still found with the search box."""

    title = _("prompt")
    parameter_name = "prompt_name"
    NONE = "-"

    def lookups(self, request, model_admin):
        names = sorted({name for _path, name, _version in prompt_files()})
        return [(name, name) for name in names] + [(self.NONE, _("Ninguno (transcripción)"))]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(prompt_name="" if self.value() == self.NONE else self.value())


class ModelFilter(admin.SimpleListFilter):
    """Choices from the AI settings (the models configured, priced or offline): no
    DISTINCT over the ledger."""

    title = _("modelo")
    parameter_name = "model"

    def lookups(self, request, model_admin):
        from courseops.ai.providers.assemblyai import LEDGER_PREFIX

        models = {
            settings.AI_MODEL,
            *settings.AI_MODELS.values(),
            settings.AI_FALLBACK_MODEL,
            settings.AI_TRANSCRIPTION_MODEL,
            LEDGER_PREFIX + settings.ASSEMBLYAI_SPEECH_MODEL,
            *settings.AI_PRICES,
            OFFLINE_MODEL,
        }
        return [(model, model) for model in sorted(models - {""})]

    def queryset(self, request, queryset):
        return queryset.filter(model=self.value()) if self.value() else queryset


@admin.register(AIUsage)
class AIUsageAdmin(RecordAdmin):
    """The AI ledger, read-only: every call with its cost, and totals for the filtered rows."""

    list_display = [
        "created_at",
        "prompt_name",
        "prompt_version",
        "provider",
        "model",
        "tokens_in",
        "tokens_out",
        "cost_usd",
        "latency_ms",
        "cache_hit",
        "fallback",
        "offline",
        "offline_reason",
        "status",
        "requested_by",
        "user",
    ]
    list_filter = [
        PromptFilter,
        ModelFilter,
        ProviderFilter,
        "offline",
        "cache_hit",
        "cache_policy",
        "status",
        "kind",
        "created_at",
    ]
    search_fields = ["requested_by", "prompt_name", "model"]
    list_select_related = ["user"]
    show_full_result_count = False
    list_before_template = "admin/ai/aiusage/summary.html"

    def get_queryset(self, request):
        return super().get_queryset(request).defer("error")

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context:
            # Totals follow the staff's filters; without a date filter they cover the last
            # SUMMARY_DAYS days so the page stays fast on a ledger of years.
            queryset = context["cl"].queryset
            title = _("Totales de los usos filtrados")
            if not any(key.startswith("created_at") for key in request.GET):
                since = timezone.now() - dt.timedelta(days=SUMMARY_DAYS)
                queryset = queryset.filter(created_at__gte=since)
                title = _("Totales de los usos filtrados, últimos %(days)d días") % {
                    "days": SUMMARY_DAYS
                }
            context["usage_totals"] = reports.usage_totals(queryset)
            context["budget_today"] = reports.budget_today()
            context["summary_title"] = title
        return response


def _figure(value, unit=""):
    return "—" if value is None else f"{display.readable(value)}{unit}"


class PromptExperimentForm(forms.ModelForm):
    class Meta:
        model = PromptExperiment
        fields = ["prompt_name", "version_b", "share_b"]

    def clean(self):
        data = super().clean()
        if self.instance.pk is None and data.get("prompt_name") and data.get("version_b"):
            try:
                current = load_prompt(data["prompt_name"])
                load_prompt(data["prompt_name"], version=data["version_b"])
            except PromptError as exc:
                raise forms.ValidationError(str(exc)) from exc
            if current.version == data["version_b"]:
                raise forms.ValidationError(_("La versión B debe ser distinta de la actual."))
            if PromptExperiment.objects.filter(
                prompt_name=data["prompt_name"], ended_at__isnull=True
            ).exists():
                raise forms.ValidationError(_("Este prompt ya tiene una prueba en marcha."))
        return data


@admin.register(PromptExperiment)
class PromptExperimentAdmin(ModelAdmin):
    """A/B tests of prompt versions: results per version, and promoting the winner."""

    form = PromptExperimentForm
    list_display = [
        "prompt_name",
        "version_a",
        "version_b",
        "share_b",
        "started_at",
        "ended_at",
        "winner",
    ]
    list_filter = ["prompt_name", "ended_at"]
    list_select_related = ["ended_by"]
    actions = ["promote_a", "promote_b"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["prompt_name", "version_b", "share_b"]
        return [
            "prompt_name",
            "version_a",
            "version_b",
            "share_b",
            "started_at",
            "ended_at",
            "winner",
            "ended_by",
            "results",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fixed = [
            "prompt_name",
            "version_a",
            "version_b",
            "started_at",
            "ended_at",
            "winner",
            "ended_by",
            "results",
        ]
        return fixed if obj.running else [*fixed, "share_b"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = experiments.start_experiment(
            prompt_name=obj.prompt_name,
            version_b=obj.version_b,
            share_b=obj.share_b,
            user=request.user,
        )
        obj.pk = created.pk
        obj.version_a = created.version_a

    @admin.display(description=_("Resultados por versión"))
    def results(self, obj):
        rows = [
            [
                f"{row['label']} (v{row['version']})",
                row["decided"],
                _figure(row["unedited"], " %"),
                _figure(row["edited"], " %"),
                _figure(row["rejected"], " %"),
                _figure(row["edit_distance"], " %"),
                _figure(row["eval_score"], " %"),
            ]
            for row in experiments.results(obj)
        ]
        headers = [
            _("Versión"),
            _("Borradores decididos"),
            _("Aprobados sin editar"),
            _("Aprobados con cambios"),
            _("Rechazados"),
            _("Texto cambiado al aprobar"),
            _("Evaluación (casos superados)"),
        ]
        return table(headers, rows)

    def _promote(self, request, queryset, which):
        for experiment in queryset:
            version = experiment.version_a if which == "a" else experiment.version_b
            try:
                experiments.promote(experiment, version, user=request.user)
            except PromptError as exc:
                self.message_user(request, f"{experiment}: {exc}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(prompt)s: la versión %(v)s queda para todos.")
                    % {"prompt": experiment.prompt_name, "v": version},
                    messages.SUCCESS,
                )

    @admin.action(
        description=_("Promover la versión A (terminar la prueba)"), permissions=["promote"]
    )
    def promote_a(self, request, queryset):
        self._promote(request, queryset, "a")

    @admin.action(
        description=_("Promover la versión B (terminar la prueba)"), permissions=["promote"]
    )
    def promote_b(self, request, queryset):
        self._promote(request, queryset, "b")

    def has_promote_permission(self, request):
        return request.user.has_perm("ai.promote_promptexperiment")


@admin.register(AIEvalRun)
class AIEvalRunAdmin(RecordAdmin):
    """Runs of manage.py ai_eval: pass rate, cost and latency per prompt version and
    model, beside the run before; the failed cases with what failed."""

    list_display = [
        "created_at",
        "provider",
        "model",
        "prompts",
        "cases",
        "passed",
        "shown_pass_rate",
        "shown_cost",
        "latency_ms",
    ]
    list_filter = ["provider", "model", "created_at"]
    list_select_related = ["requested_by"]
    fields = [
        "created_at",
        "provider",
        "model",
        "prompts",
        "cases",
        "passed",
        "shown_cost",
        "requested_by",
        "report",
        "failed_cases",
    ]
    readonly_fields = fields

    @admin.display(description=_("superados"))
    def shown_pass_rate(self, obj):
        return _figure(obj.pass_rate, " %")

    @admin.display(description=_("coste (USD)"))
    def shown_cost(self, obj):
        return display.readable(obj.cost_usd)

    @admin.display(description=_("Por prompt, versión y modelo (y la evaluación anterior)"))
    def report(self, obj):
        rows = []
        for row in evals.report(obj, evals.previous_run(obj)):
            before = row["previous"] or {}
            rows.append(
                [
                    row["prompt"],
                    row["version"],
                    row["model"],
                    row["cases"],
                    _figure(row["pass_rate"], " %"),
                    _figure(before.get("pass_rate"), " %"),
                    _figure(row["cost_usd"]),
                    _figure(before.get("cost_usd")),
                    row["latency_ms"],
                    before.get("latency_ms", "—"),
                ]
            )
        headers = [
            _("Prompt"),
            _("Versión"),
            _("Modelo"),
            _("Casos"),
            _("Superados"),
            _("Antes"),
            _("Coste USD"),
            _("Antes"),
            _("ms por caso"),
            _("Antes"),
        ]
        return table(headers, rows)

    @admin.display(description=_("Casos no superados"))
    def failed_cases(self, obj):
        rows = [
            [f"{r.prompt_name} v{r.prompt_version}", r.case, "; ".join(r.failures)]
            for r in obj.results.filter(passed=False)
        ]
        return table([_("Prompt"), _("Caso"), _("Qué falló")], rows) if rows else "—"
