"""The KPI dashboard on the admin's landing page, and its CSV export."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpResponse

from courseops.operations.kpis.services import (
    PERIODS,
    as_csv,
    by_area,
    dashboard,
    period_from,
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
    period = period_from(request.GET)
    response = HttpResponse(as_csv(dashboard(period), period), content_type="text/csv")
    response["Content-Disposition"] = (
        f'attachment; filename="kpis-{period.first}-{period.last}.csv"'
    )
    return response
