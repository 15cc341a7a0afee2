"""The dashboard's figures: each KPI for a period, the previous period, target, status and
a daily series, in a constant number of queries."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from courseops.operations.kpis.registry import (
    AREAS,
    Kpi,
    KpiTable,
    registered_kpis,
    registered_tables,
)
from courseops.operations.models import KpiTarget

PERIODS = {"7": 7, "30": 30, "90": 90, "365": 365}


@dataclass
class Period:
    first: date
    last: date  # inclusive

    @property
    def days(self):
        return (self.last - self.first).days + 1

    def bounds(self):
        zone = timezone.get_current_timezone()
        start = datetime.combine(self.first, time.min, tzinfo=zone)
        return start, start + timedelta(days=self.days)

    def previous(self):
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))


@dataclass
class Row:
    kpi: Kpi
    value: float | None
    previous: float | None
    target: float | None
    series: list[tuple[date, float]] = field(default_factory=list)

    @property
    def trend(self):
        """Change against the previous period, in % of it (None when not comparable)."""
        if self.value is None or not self.previous:
            return None
        return 100 * (self.value - self.previous) / abs(self.previous)

    @property
    def progress(self):
        """How far the figure is towards its target, in % capped at 100 (None without a
        target or a figure). For a ceiling (lower is better) it is target / value: at or
        under the target is 100 %."""
        if self.target is None or self.value is None:
            return None
        if self.kpi.higher_is_better:
            share = self.value / self.target if self.target else 1.0
        else:
            share = self.target / self.value if self.value > 0 else 1.0
        return max(0.0, min(100.0, 100 * share))

    def rows_url(self, period, user):
        """The changelist of the rows behind the figure, for a user who may see it."""
        if self.kpi.rows is None or not user.has_perm(self.kpi.rows.permission):
            return ""
        return self.kpi.rows.url(period.first, period.last)

    @property
    def status(self):
        """ "ok", "miss" (the period misses the target) or "" (no target or no figure)."""
        if self.target is None or self.value is None:
            return ""
        met = self.value >= self.target if self.kpi.higher_is_better else self.value <= self.target
        return "ok" if met else "miss"


def period_from(params, today=None) -> Period:
    """The period asked for: `desde`/`hasta` (YYYY-MM-DD) or `dias` (7, 30, 90, 365)."""
    today = today or timezone.localdate()
    try:
        first = date.fromisoformat(params.get("desde", ""))
        last = date.fromisoformat(params.get("hasta", ""))
    except ValueError:
        days = PERIODS.get(params.get("dias", ""), 30)
        return Period(today - timedelta(days=days - 1), today)
    if last < first or (last - first).days > 366 * 3:
        return Period(today - timedelta(days=29), today)
    return Period(first, last)


def targets() -> dict[str, float]:
    return dict(KpiTarget.objects.values_list("key", "target"))


def dashboard(period: Period) -> list[Row]:
    start, end = period.bounds()
    prev_start, prev_end = period.previous().bounds()
    chosen = targets()
    rows = []
    for kpi in registered_kpis():
        series = kpi.series(start, end) if kpi.series else {}
        rows.append(
            Row(
                kpi=kpi,
                value=_number(kpi.value(start, end)),
                previous=_number(kpi.value(prev_start, prev_end)),
                target=chosen.get(kpi.key, kpi.target),
                series=[
                    (
                        period.first + timedelta(days=n),
                        _number(series.get(period.first + timedelta(days=n))) or 0,
                    )
                    for n in range(period.days)
                ]
                if kpi.series
                else [],
            )
        )
    return rows


@dataclass
class Table:
    table: KpiTable
    cells: list[list]


def tables(period: Period) -> list[Table]:
    start, end = period.bounds()
    return [Table(table=table, cells=table.rows(start, end)) for table in registered_tables()]


def current_period(now=None) -> Period:
    """The dashboard's default period (the last 30 days, today included)."""
    today = timezone.localdate(now)
    return period_from({}, today=today)


def by_area(rows, tables=()):
    """[(area label, [rows], [tables])] in the areas' order."""
    grouped = {}
    for row in rows:
        grouped.setdefault(row.kpi.area, ([], []))[0].append(row)
    for table in tables:
        grouped.setdefault(table.table.area, ([], []))[1].append(table)
    return [(AREAS.get(area, area), *grouped[area]) for area in AREAS if area in grouped]


KPI_COLUMNS = (
    "area",
    "kpi",
    "label",
    "desde",
    "hasta",
    "valor",
    "anterior",
    "tendencia_%",
    "objetivo",
    "progreso_%",
    "estado",
)


def kpi_export_rows(rows, period):
    """The KPI rows as cells for an export (numbers stay numbers)."""
    return [
        [
            row.kpi.area,
            row.kpi.key,
            str(row.kpi.label),
            period.first,
            period.last,
            _rounded(row.value),
            _rounded(row.previous),
            _rounded(row.trend),
            _rounded(row.target),
            _rounded(row.progress),
            row.status,
        ]
        for row in rows
    ]


def _rounded(value):
    return None if value is None else round(value, 2)


def _number(value):
    return None if value is None else float(value)
