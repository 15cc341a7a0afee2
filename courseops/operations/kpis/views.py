"""The KPI dashboard on the admin's landing page, and its CSV/XLSX export."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from courseops.operations import exports
from courseops.operations.alerts.services import open_incidents_for_dashboard
from courseops.operations.kpis import snapshot
from courseops.operations.kpis.services import (
    KPI_COLUMNS,
    PERIODS,
    by_area,
    kpi_export_rows,
    period_from,
)
from courseops.operations.navigation import name_models

CHART_WIDTH, CHART_HEIGHT = 220, 40


def chart_points(series):
    """SVG polyline points for a daily series, scaled to the chart box."""
    if not series:
        return ""
    top = max(value for _day, value in series) or 1
    step = CHART_WIDTH / max(len(series) - 1, 1)
    return " ".join(
        f"{n * step:.1f},{CHART_HEIGHT - CHART_HEIGHT * value / top:.1f}"
        for n, (_day, value) in enumerate(series)
    )


def dashboard_callback(request, context):
    """Unfold's DASHBOARD_CALLBACK: the admin index (staff only) gets the KPI dashboard
    from the cached snapshot; the figures are aggregates, so every staff role sees them
    (a KPI's link to its rows opens only for those allowed to see the list)."""
    name_models(context.get("app_list", []))
    period = period_from(request.GET)
    figures = snapshot.load(period)
    rows = figures.rows
    for row in rows:
        row.points = chart_points(row.series)
        row.link = row.rows_url(period, request.user)
    if request.user.has_perm("operations.view_incident"):
        shown, snoozed = open_incidents_for_dashboard()
        context["alerts"] = {
            "shown": shown,
            "snoozed": snoozed,
            "can_act": request.user.has_perm("operations.acknowledge_incident"),
        }
    context["kpi"] = {
        "period": period,
        "snapshot": figures,
        "areas": by_area(rows, figures.tables),
        "missed": figures.missed,
        "choices": list(PERIODS),
        "query": request.GET.urlencode(),
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
    }
    return context


@staff_member_required
def dashboard_csv(request):
    """Every KPI of the period, or with `?tabla=<key>` one of the dashboard's tables, from
    the snapshot the page shows (computed here when there is none yet: a download waits for
    its figures); CSV in the staff's language or, with `?formato=xlsx`,
    XLSX."""
    period = period_from(request.GET)
    figures = snapshot.load(period, compute_missing=True)
    key = request.GET.get("tabla")
    if key:
        table = next((t for t in figures.tables if t.table.key == key), None)
        if table is None:
            raise Http404
        header, rows, title = table.table.columns, table.cells, table.table.label
        name = key
    else:
        header, rows, title = KPI_COLUMNS, kpi_export_rows(figures.rows, period), _("KPIs")
        name = "kpis"
    return exports.response(request, f"{name}-{period.first}-{period.last}", header, rows, title)
