"""`manage.py import_activity FILE`: an LMS's CSV export of activity.

Columns (header names): `id` (the LMS's event id; without it, the file's digest and the
row number), one of `student_id` / `email` / `lms_user_id`, `kind`, `occurred_at` (ISO 8601;
without an offset it is read in `time_zone`), and optional `object_type`, `object_id`.
Valid rows are stored in chunks of 1,000; each invalid row is reported with its line and
skipped. Importing the same file again stores nothing new.
"""

import csv
import hashlib
import io
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.utils.timezone import is_naive, make_aware

from courseops.core.dates import datetime_or_none
from engagement.models import ActivitySource
from engagement.services.activity import record_activities
from engagement.services.intake import MAX_BATCH, parse_rows
from students.intake.csv_import import _dialect, decode

COLUMNS = {
    "id", "event_id", "student_id", "email", "lms_user_id", "kind", "occurred_at",
    "object_type", "object_id",
}  # fmt: skip


@dataclass
class ActivityImport:
    rows: int = 0
    created: int = 0
    duplicates: int = 0
    problems: list = field(default_factory=list)  # (line, {field: [errors]})


def import_activity(*, content: bytes, time_zone="UTC", dry_run=False) -> ActivityImport:
    text = decode(content)
    digest = hashlib.sha256(content).hexdigest()[:16]
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=_dialect(text))
    report = ActivityImport()
    chunk = []
    for line, row in enumerate(reader, start=2):
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue
        report.rows += 1
        chunk.append((line, _clean(row, digest=digest, line=line, zone=ZoneInfo(time_zone))))
        if len(chunk) == MAX_BATCH:
            _import_chunk(chunk, report, dry_run=dry_run)
            chunk = []
    if chunk:
        _import_chunk(chunk, report, dry_run=dry_run)
    return report


def _clean(row, *, digest, line, zone):
    data = {
        key.strip().lower(): (value or "").strip()
        for key, value in row.items()
        if isinstance(key, str) and key.strip().lower() in COLUMNS and isinstance(value, str)
    }
    data["id"] = data.pop("event_id", "") or data.get("id") or f"{digest}:{line}"
    data = {key: value for key, value in data.items() if value != ""}
    when = datetime_or_none(data.get("occurred_at", ""))
    if when is not None and is_naive(when):
        data["occurred_at"] = make_aware(when, zone).isoformat()
    return data


def _import_chunk(chunk, report, *, dry_run):
    activities, errors = parse_rows([row for _line, row in chunk], source=ActivitySource.CSV)
    for error in errors:
        report.problems.append((chunk[error["index"]][0], error["errors"]))
    if dry_run:
        return
    created, repeats = record_activities(activities)
    report.created += created
    report.duplicates += repeats
