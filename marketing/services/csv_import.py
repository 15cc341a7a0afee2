"""CSV import of contacts (the command and the admin upload share it).

The file is read exactly like the students import (encodings, delimiters, Spanish or
English headers: `students.intake.csv_import.read_rows`); each row then goes through
`capture_lead` on its own, so a bad row never blocks another, and importing the same file
twice creates nothing new (one email, one contact).
"""

from dataclasses import dataclass, field

from marketing.services.leads import capture_lead, clean_lead
from students.intake.csv_import import RowProblem, UnreadableFile, read_rows

__all__ = ["ImportReport", "UnreadableFile", "import_leads"]


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    invalid: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    dry_run: bool = False


def import_leads(
    *,
    content: bytes,
    source_name: str = "",
    tags=(),
    consent_text: str = "",
    double_opt_in: bool = True,
    dry_run: bool = False,
    user=None,
) -> ImportReport:
    """Add or update a contact per row; returns counts and the (row, field, error) list.

    A `consent` column that says yes records a newsletter consent with `consent_text`;
    with `double_opt_in` (the default) each such person is asked to confirm by email.
    """
    report = ImportReport(dry_run=dry_run)
    for number, data in read_rows(content):
        report.rows += 1
        if source_name and not data.get("utm_source"):
            data["utm_source"] = source_name
        data["tags"] = list(tags)
        if consent_text:
            data["consent_text"] = consent_text
        if dry_run:
            errors = clean_lead(data).errors
        else:
            result = capture_lead(data=data, source="csv", double_opt_in=double_opt_in, user=user)
            errors = result.errors
            if result.created:
                report.created += 1
            elif result.lead is not None:
                report.updated += 1
        if errors:
            report.invalid += 1
            report.problems += [
                RowProblem(row=number, field=name, error=message)
                for name, messages in errors.items()
                for message in messages
            ]
    return report
