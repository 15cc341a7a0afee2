"""The KPI dashboard on the admin's landing page, and its CSV export."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpResponse

from courseops.operations.kpis.registry import registered_tables
from courseops.operations.kpis.services import (
    PERIODS,
    as_csv,
    by_area,
    dashboard,
    period_from,
    table_as_csv,
    tables,
)

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
    """Unfold's DASHBOARD_CALLBACK: the admin index (staff only) gets the KPI dashboard;
    the figures are aggregates, so every staff role sees them."""
    period = period_from(request.GET)
    rows = dashboard(period)
    for row in rows:
        row.points = chart_points(row.series)
    context["kpi"] = {
        "period": period,
        "areas": by_area(rows, tables(period)),
        "missed": [row for row in rows if row.status == "miss"],
        "choices": list(PERIODS),
        "query": request.GET.urlencode(),
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
    }
    return context


@staff_member_required
def dashboard_csv(request):
    """Every KPI of the period, or with `?tabla=<key>` one of the dashboard's tables."""
    period = period_from(request.GET)
    key = request.GET.get("tabla")
    if key:
        table = next((t for t in registered_tables() if t.key == key), None)
        if table is None:
            raise Http404
        content, name = table_as_csv(table, period), key
    else:
        content, name = as_csv(dashboard(period), period), "kpis"
    response = HttpResponse(content, content_type="text/csv")
    response["Content-Disposition"] = (
        f'attachment; filename="{name}-{period.first}-{period.last}.csv"'
    )
    return response
