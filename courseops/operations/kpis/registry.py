"""The KPIs on the staff dashboard. The core knows no domain app: each app declares its
figures in a `kpis.py` module (discovered like `admin.py`):

    from courseops.operations.kpis.registry import Kpi, count_of, register_kpi

    register_kpi(Kpi(key="students.new", area="onboarding", label=_("Nuevos alumnos"),
                     **count_of(Student.objects.all(), "created_at")))

`value(start, end)` is one set-based query for the period [start, end); `series(start,
end)` (optional) one grouped query giving {day: value} for the chart. The dashboard asks
each KPI for the period, the previous period and the series: a constant number of queries
whatever the data. A figure that is a small table (cohorts, a breakdown) registers a
`KpiTable` with `register_table`; its `rows(start, end)` is one query too.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from statistics import median

from django.apps import apps
from django.db.models import Avg, Count, DateField, F, Q, Sum
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.http import urlencode
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _

from courseops.core import display

AREAS = {
    "onboarding": _("Alta de alumnos"),
    "subscriptions": _("Suscripciones"),
    "webinars": _("Webinars"),
    "content": _("Contenido"),
    "engagement": _("Seguimiento"),
    "marketing": _("Marketing"),
    "ai": _("IA"),
    "surveys": _("Encuestas"),
}


@dataclass(frozen=True)
class Rows:
    """The admin changelist holding a KPI's rows: `model` ("app_label.model"), the date
    field the period filters on (a field of that model, so the admin accepts the lookup)
    and fixed filters (`{"status": "failed"}`)."""

    model: str
    date_field: str
    filters: tuple = ()

    @property
    def permission(self) -> str:
        app_label, model_name = self.model.split(".")
        return f"{app_label}.view_{model_name}"

    def url(self, first: date, last: date) -> str:
        app_label, model_name = self.model.split(".")
        field = apps.get_model(self.model)._meta.get_field(self.date_field)
        # A datetime is compared by its local date, as the period's bounds are.
        lookup = self.date_field if type(field) is DateField else f"{self.date_field}__date"
        params = {
            f"{lookup}__gte": first.isoformat(),
            f"{lookup}__lte": last.isoformat(),
            **dict(self.filters),
        }
        return f"{reverse(f'admin:{app_label}_{model_name}_changelist')}?{urlencode(params)}"


@dataclass(frozen=True)
class Kpi:
    key: str
    area: str
    label: str
    value: Callable[[datetime, datetime], float | None]
    series: Callable[[datetime, datetime], dict[date, float]] | None = None
    unit: str = ""  # "", "%", "min", "USD", "/5", "NPS"
    # Whether a higher figure is better (a target is then a floor) or worse (a ceiling).
    higher_is_better: bool = True
    target: float | None = None  # the default target; staff override it in the dashboard
    # Shown instead of "—" when the period has no figure (e.g. CAC with no cost entered).
    no_data: str = ""
    # Where staff see the rows behind the figure (None: an aggregate with no list).
    rows: Rows | None = None


@dataclass(frozen=True)
class KpiTable:
    """A small table on the dashboard (cohorts, a breakdown): `rows(start, end)` gives
    the cells under `columns` (strings or None) in one query."""

    key: str
    area: str
    label: str
    columns: tuple
    rows: Callable[[datetime, datetime], list[list]]


class Percent(float):
    """A table cell that is a percentage: a number for exports, "45,5 %" on the page."""

    places = 1

    def __str__(self):
        return f"{number_format(round(self, self.places), self.places)} %"


class Amount(float):
    """A table cell that is an amount with two decimals ("0,50" on the page)."""

    places = 2

    def __str__(self):
        return number_format(round(self, self.places), self.places)


class Readable(float):
    """A table cell shown with the precision that makes it readable: a cost of "0,027",
    not "0,03" or "0,00"."""

    def __str__(self):
        return display.readable(float(self))


_KPIS: dict[str, Kpi] = {}
_TABLES: dict[str, KpiTable] = {}


def register_kpi(kpi: Kpi) -> Kpi:
    _KPIS[kpi.key] = kpi
    return kpi


def register_table(table: KpiTable) -> KpiTable:
    _TABLES[table.key] = table
    return table


def registered_kpis() -> list[Kpi]:
    autodiscover_modules("kpis")
    return list(_KPIS.values())


def registered_tables() -> list[KpiTable]:
    autodiscover_modules("kpis")
    return list(_TABLES.values())


def _in(field, start, end):
    return {f"{field}__gte": start, f"{field}__lt": end}


def count_of(queryset, date_field):
    """value/series for "how many rows of `queryset` fall in the period by `date_field`"."""

    def value(start, end):
        return queryset.filter(**_in(date_field, start, end)).count()

    def series(start, end):
        rows = (
            queryset.filter(**_in(date_field, start, end))
            .annotate(day=TruncDate(date_field))
            .values("day")
            .annotate(n=Count("pk"))
            .order_by("day")
        )
        return {row["day"]: row["n"] for row in rows}

    return {"value": value, "series": series}


def share_of(queryset, date_field, hit: Q):
    """value/series for "percentage of the period's rows matching `hit`" (None if none)."""

    def value(start, end):
        figures = queryset.filter(**_in(date_field, start, end)).aggregate(
            total=Count("pk"), hits=Count("pk", filter=hit)
        )
        return 100 * figures["hits"] / figures["total"] if figures["total"] else None

    def series(start, end):
        rows = (
            queryset.filter(**_in(date_field, start, end))
            .annotate(day=TruncDate(date_field))
            .values("day")
            .annotate(total=Count("pk"), hits=Count("pk", filter=hit))
            .order_by("day")
        )
        return {row["day"]: 100 * row["hits"] / row["total"] for row in rows}

    return {"value": value, "series": series}


def median_minutes(queryset, date_field, start_field, end_field):
    """value: median minutes from `start_field` to `end_field` of the period's rows
    (one query fetching the durations; SQLite has no percentile function)."""

    def value(start, end):
        durations = (
            queryset.filter(**_in(date_field, start, end), **{f"{end_field}__isnull": False})
            .annotate(took=F(end_field) - F(start_field))
            .values_list("took", flat=True)
        )
        minutes = [took.total_seconds() / 60 for took in durations]
        return median(minutes) if minutes else None

    return {"value": value}


def _aggregate_of(queryset, date_field, aggregate):
    def value(start, end):
        return queryset.filter(**_in(date_field, start, end)).aggregate(v=aggregate)["v"]

    def series(start, end):
        rows = (
            queryset.filter(**_in(date_field, start, end))
            .annotate(day=TruncDate(date_field))
            .values("day")
            .annotate(v=aggregate)
            .order_by("day")
        )
        return {row["day"]: row["v"] for row in rows}

    return {"value": value, "series": series}


def average_of(queryset, date_field, field):
    """value/series: the average of `field` over the period's rows."""
    return _aggregate_of(queryset, date_field, Avg(field))


def sum_of(queryset, date_field, field):
    """value/series: the sum of `field` over the period's rows (0 when none)."""
    figures = _aggregate_of(queryset, date_field, Sum(field))
    total = figures["value"]
    return {**figures, "value": lambda start, end: total(start, end) or 0}
