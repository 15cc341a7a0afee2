"""The dashboard's figures kept in the cache, one snapshot per period, so the admin's
landing page reads them instead of computing every KPI (1.2 s of queries at 100,000
students). The periodic task `operations.refresh_kpis` recomputes the standard periods
(`PERIODS`); just after midnight, until the task has run for the new day, a standard
period shows the snapshot of the same length ending yesterday, with its age, and one
refresh is queued (so no visit computes the figures at 100,000 students); any other
period asked for that has no snapshot (a custom range, a cold cache) is computed once and
stored; a snapshot older than `KPI_SNAPSHOT_MAX_AGE_MINUTES` (the task
stopped) is still shown, with its age, while one refresh is queued.

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


def refresh(today: date | None = None) -> int:
    """Recompute the snapshot of every standard period ending today; returns how many."""
    periods = standard_periods(today)
    for period in periods:
        store(period)
    return len(periods)


def _queue_refresh():
    """One refresh for all the stale pages opened meanwhile (the lock expires with it)."""
    if cache.add("kpis:snapshot:refresh-queued", 1, timeout=5 * 60):
        from courseops.operations.tasks import refresh_kpis

        transaction.on_commit(refresh_kpis.delay)


class Snapshot:
    """What the page shows: rows and tables rebuilt from the registry around the cached
    figures, with the snapshot's age."""

    def __init__(self, period: Period, data: dict, now=None):
        self.period = period
        self.computed_at = data["computed_at"]
        now = now or timezone.now()
        self.age_minutes = max(0, int((now - self.computed_at).total_seconds() // 60))
        self.stale = self.age_minutes >= settings.KPI_SNAPSHOT_MAX_AGE_MINUTES
        chosen = targets()
        self.rows = []
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


def _previous_days(period: Period, now=None) -> dict | None:
    """For a standard period ending today, the snapshot of the same length ending yesterday
    (the day just turned and the task has not refreshed it yet)."""
    today = timezone.localdate(now) if now else timezone.localdate()
    if period not in standard_periods(today):
        return None
    day = timedelta(days=1)
    return cache.get(_key(Period(period.first - day, period.last - day)))


def load(period: Period, now=None) -> Snapshot:
    """The period's snapshot: from the cache when there is one (queued for a refresh when
    stale), else yesterday's of a standard period while today's is being made, else
    computed now and stored."""
    data = cache.get(_key(period))
    if data is None and (data := _previous_days(period, now)) is not None:
        logger.info("kpis.snapshot_from_yesterday", first=str(period.first))
        _queue_refresh()
    if data is None:
        logger.info("kpis.snapshot_missing", first=str(period.first), last=str(period.last))
        data = store(period, now)
    snapshot = Snapshot(period, data, now)
    if snapshot.stale:
        _queue_refresh()
    return snapshot
