"""The dashboard's figures kept in the cache, one snapshot per period, so the admin's
landing page reads them instead of computing every KPI (1.2 s of queries at 100,000
students, idle). The periodic task `operations.refresh_kpis` recomputes the standard
periods (`PERIODS`). A visit never computes a figure: just after midnight, until the task
has run for the new day, a standard period shows the snapshot of the same length ending
yesterday, with its age, and one refresh is queued; a period with no snapshot at all (a
custom range, a cold cache) shows that its figures are being computed and queues that
computation once; a snapshot older than `KPI_SNAPSHOT_MAX_AGE_MINUTES` (the task stopped)
is still shown, with its age, while one refresh is queued. The alert check on targets
reads the same snapshots.

Targets are not part of a snapshot: they are read at each visit (one query), so a target
staff change shows at once."""

from datetime import date, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from courseops.core.logging import get_logger
from courseops.operations.kpis.registry import registered_kpis, registered_tables
from courseops.operations.kpis.services import (
    PERIODS,
    Period,
    Row,
    Table,
    dashboard,
    tables,
    targets,
)

logger = get_logger(__name__)

VERSION = 1  # bump when the snapshot's shape changes: old ones are then ignored


def _key(period: Period) -> str:
    return f"kpis:snapshot:v{VERSION}:{period.first.isoformat()}:{period.last.isoformat()}"


def compute(period: Period, now=None) -> dict:
    """Every KPI (period, previous period, series) and table, as plain values."""
    return {
        "computed_at": now or timezone.now(),
        "kpis": {row.kpi.key: (row.value, row.previous, row.series) for row in dashboard(period)},
        "tables": {table.table.key: table.cells for table in tables(period)},
    }


def store(period: Period, now=None) -> dict:
    snapshot = compute(period, now)
    # Kept well past its freshness so a stopped task degrades to "old figures", not to a
    # slow page.
    cache.set(_key(period), snapshot, timeout=settings.KPI_SNAPSHOT_MAX_AGE_MINUTES * 60 * 8)
    return snapshot


def standard_periods(today: date | None = None) -> list[Period]:
    today = today or timezone.localdate()
    return [Period(today - timedelta(days=days - 1), today) for days in PERIODS.values()]


def refresh(today: date | None = None, period: Period | None = None) -> int:
    """Recompute the snapshot of every standard period ending today, or of `period` alone
    (one a visit asked for); returns how many."""
    periods = [period] if period else standard_periods(today)
    for each in periods:
        store(each)
    cache.delete(_queued_key(period))
    return len(periods)


def _queued_key(period: Period | None) -> str:
    return f"{_key(period)}:queued" if period else "kpis:snapshot:refresh-queued"


def _queue_refresh(period: Period, today: date):
    """One refresh for all the visits meanwhile (the lock expires with it): of the standard
    periods when `period` is one of them, else of `period` alone."""
    custom = None if period in standard_periods(today) else period
    if cache.add(_queued_key(custom), 1, timeout=5 * 60):
        from courseops.operations.tasks import refresh_kpis

        dates = (custom.first.isoformat(), custom.last.isoformat()) if custom else ()
        transaction.on_commit(lambda: refresh_kpis.delay(*dates))


class Snapshot:
    """What the page shows: rows and tables rebuilt from the registry around the cached
    figures, with the snapshot's age; without figures (`data` None) a pending snapshot,
    whose computation is queued."""

    def __init__(self, period: Period, data: dict | None, now=None):
        self.period = period
        self.pending = data is None
        self.rows, self.tables = [], []
        self.age_minutes, self.stale = 0, False
        if self.pending:
            return
        self.computed_at = data["computed_at"]
        now = now or timezone.now()
        self.age_minutes = max(0, int((now - self.computed_at).total_seconds() // 60))
        self.stale = self.age_minutes >= settings.KPI_SNAPSHOT_MAX_AGE_MINUTES
        chosen = targets()
        for kpi in registered_kpis():
            if kpi.key not in data["kpis"]:
                continue  # a KPI registered after the snapshot: shown at the next refresh
            value, previous, series = data["kpis"][kpi.key]
            self.rows.append(
                Row(
                    kpi=kpi,
                    value=value,
                    previous=previous,
                    target=chosen.get(kpi.key, kpi.target),
                    series=series,
                )
            )
        self.tables = [
            Table(table=table, cells=data["tables"][table.key])
            for table in registered_tables()
            if table.key in data["tables"]
        ]

    @property
    def missed(self) -> list[Row]:
        """The KPIs whose figure misses its target."""
        return [row for row in self.rows if row.status == "miss"]


def _previous_days(period: Period, today: date) -> dict | None:
    """For a standard period ending today, the snapshot of the same length ending yesterday
    (the day just turned and the task has not refreshed it yet)."""
    if period not in standard_periods(today):
        return None
    day = timedelta(days=1)
    return cache.get(_key(Period(period.first - day, period.last - day)))


def load(period: Period, now=None, *, compute_missing=False) -> Snapshot:
    """The period's snapshot from the cache (queued for a refresh when stale), else
    yesterday's of a standard period while today's is being made, else a pending one whose
    computation is queued: never a KPI query. `compute_missing` (a download, not the page)
    computes and stores a missing one instead."""
    today = timezone.localdate(now) if now else timezone.localdate()
    data = cache.get(_key(period))
    if data is None and (data := _previous_days(period, today)) is not None:
        logger.info("kpis.snapshot_from_yesterday", first=str(period.first))
        _queue_refresh(period, today)
    if data is None and compute_missing:
        data = store(period, now)
    if data is None:
        logger.info("kpis.snapshot_queued", first=str(period.first), last=str(period.last))
        _queue_refresh(period, today)
        return Snapshot(period, None, now)
    snapshot = Snapshot(period, data, now)
    if snapshot.stale:
        _queue_refresh(period, today)
    return snapshot
