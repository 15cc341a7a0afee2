"""Marketing costs, and the funnel page (bar charts per stage and a CSV export) reached
from their list: *Marketing › Gastos de marketing › Embudo de conversión*."""

import zoneinfo
from datetime import datetime, time, timedelta

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from courseops.operations import exports
from marketing.funnel.models import ExternalEvent, MarketingCost
from marketing.funnel.report import STAGES, Window, funnel

STAGE_LABELS = {
    "views": _("visitas a landings"),
    "leads": _("contactos"),
    "registrants": _("inscritos a webinar"),
    "attendees": _("asistentes"),
    "checkouts": _("pagos iniciados"),
    "paying": _("clientes que pagan"),
    "paying_30": _("siguen pagando a 30 días"),
    "paying_90": _("siguen pagando a 90 días"),
}
EXTRA_COLUMNS = (
    ("revenue", _("ingresos")),
    ("cost", _("gasto")),
    ("cost_per_lead", _("coste por contacto")),
    ("days_to_pay", _("días hasta pagar")),
)


class FunnelForm(forms.Form):
    dimension = forms.ChoiceField(
        label=_("Por"),
        choices=[
            ("source", _("origen")),
            ("campaign", _("campaña")),
            ("landing", _("landing page")),
            ("cohort", _("semana de llegada")),
        ],
        initial="source",
    )
    start = forms.DateField(label=_("Desde"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(
        label=_("Hasta (incluido)"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(_("La fecha final es anterior a la inicial."))
        return data

    def window(self):
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        start = datetime.combine(self.cleaned_data["start"], time(), tzinfo=zone)
        end = datetime.combine(self.cleaned_data["end"] + timedelta(days=1), time(), tzinfo=zone)
        return Window(start=start, end=end)


def _bars(rows):
    """Each row's stages with a width relative to the row's first stage with people."""
    charts = []
    for row in rows:
        top = max(row["views"], row["leads"]) or 1
        charts.append(
            {
                "key": row["key"],
                "stages": [
                    {"label": STAGE_LABELS[s], "value": row[s], "width": round(100 * row[s] / top)}
                    for s in STAGES
                ],
            }
        )
    return charts


def funnel_export(request, rows):
    """The funnel as CSV in the staff's language (or XLSX with `?formato=xlsx`)."""
    header = ["key", *STAGES, *(name for name, _label in EXTRA_COLUMNS)]
    cells = [
        [row["key"], *(row[s] for s in STAGES), *(row[n] for n, _l in EXTRA_COLUMNS)]
        for row in rows
    ]
    return exports.response(request, "embudo", header, cells, title=_("Embudo"))


@admin.register(MarketingCost)
class MarketingCostAdmin(ModelAdmin):
    list_display = ("spent_on", "source", "campaign", "landing", "amount", "currency", "note")
    list_filter = ("source",)
    list_select_related = ("landing",)
    date_hierarchy = "spent_on"

    def get_urls(self):
        view = self.admin_site.admin_view(self.funnel_view)
        return [path("embudo/", view, name="marketing_funnel"), *super().get_urls()]

    def funnel_view(self, request):
        if not request.user.has_perm("marketing.view_marketingcost"):
            raise PermissionDenied
        today = timezone.localdate()
        form = FunnelForm(
            request.GET
            or {"dimension": "source", "start": today - timedelta(days=27), "end": today}
        )
        rows = funnel(form.cleaned_data["dimension"], form.window()) if form.is_valid() else []
        if rows and request.GET.get("formato") in ("csv", "xlsx"):
            return funnel_export(request, rows)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Embudo de conversión"),
            "form": form,
            "rows": rows,
            "charts": _bars(rows),
            "stage_labels": [STAGE_LABELS[s] for s in STAGES],
            "extra_labels": [label for _name, label in EXTRA_COLUMNS],
            "columns": [*STAGES, *(name for name, _label in EXTRA_COLUMNS)],
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/marketing/funnel.html", context)


@admin.register(ExternalEvent)
class ExternalEventAdmin(ModelAdmin):
    list_display = ("event_id", "type", "lead", "reported_by", "occurred_at", "received_at")
    list_filter = ("type",)
    list_select_related = ("lead", "reported_by")
    search_fields = ("event_id",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
