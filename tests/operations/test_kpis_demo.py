"""The demo data gives the dashboard a figure for every KPI the business tracks."""

from courseops.core.demo import load_demo_data
from courseops.operations.kpis.services import current_period, dashboard, tables

# CAC needs a student whose first payment falls in the period; the demo's paying students
# started paying before it, so the KPI rightly shows "sin datos".
WITHOUT_DEMO_FIGURE = {"marketing.cac"}


def test_every_kpi_has_a_figure_from_the_demo_data(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        load_demo_data()

    period = current_period()
    missing = sorted(row.kpi.key for row in dashboard(period) if row.value is None)
    assert missing == sorted(WITHOUT_DEMO_FIGURE)
    assert all(table.cells for table in tables(period))
