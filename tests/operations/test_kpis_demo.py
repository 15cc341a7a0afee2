"""The demo data gives the dashboard a figure for every KPI the business tracks, whatever
order the apps' demo modules were imported in."""

from django.utils.module_loading import autodiscover_modules

from courseops.core import demo
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


def test_the_demo_loads_lower_floors_first_whatever_module_was_imported_first(
    db, django_capture_on_commit_callbacks, monkeypatch
):
    # As when a test module imported `webinars.demo` before the demo was first loaded:
    # the webinars' loader ran before the students existed and no student attended the
    # past webinar (engagement.post_webinar had no figure in a full run).
    autodiscover_modules("demo")
    monkeypatch.setattr(demo, "_LOADERS", list(reversed(demo._LOADERS)))
    with django_capture_on_commit_callbacks(execute=True):
        load_demo_data()

    rows = {row.kpi.key: row for row in dashboard(current_period())}
    assert rows["engagement.post_webinar"].value is not None
