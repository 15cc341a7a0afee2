"""CSV and Excel import of contacts (the command and the admin upload share it), such as
the export of the list tool the business leaves (Mautic, Mailchimp, Brevo, a spreadsheet).

The file is read exactly like the students import (encodings, delimiters, Spanish or
English headers: `students.intake.csv_import.read_rows`), plus the columns a contacts
export carries: tags, segments (lists), and whether the person unsubscribed or bounced.
Those who must not be written to are put on the suppression list first, before any contact
is added, and get no consent from the file. Then each row goes through `capture_lead` on
its own, so a bad row never blocks another, and importing the same file twice creates
nothing new (one email, one contact; the suppression list keeps the first reason). A dry
run counts what would happen and writes nothing.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from courseops.messaging.models import Channel, SuppressionReason
from courseops.messaging.services import suppress
from courseops.messaging.services.addresses import normalize
from marketing.models import Lead, Segment
from marketing.services.leads import capture_lead, clean_lead, find_lead
from students.intake.csv_import import RowProblem, UnreadableFile, read_rows
from students.intake.validation import clean_consent, clean_interests, labelled_errors

__all__ = ["ImportReport", "UnreadableFile", "import_leads"]

# A contacts export's own columns, by header compared without case, accents or punctuation.
CONTACT_COLUMNS = {
    "tags": "tags",
    "etiquetas": "tags",
    "etiqueta": "tags",
    "segments": "segments",
    "segmentos": "segments",
    "segmento": "segments",
    "lists": "segments",
    "listas": "segments",
    "lista": "segments",
    "unsubscribed": "unsubscribed",
    "unsubscribe": "unsubscribed",
    "baja": "unsubscribed",
    "de baja": "unsubscribed",
    "dado de baja": "unsubscribed",
    "dada de baja": "unsubscribed",
    "do not contact": "unsubscribed",
    "donotcontact": "unsubscribed",
    "dnc": "unsubscribed",
    "no contactar": "unsubscribed",
    "bounced": "bounced",
    "rebotado": "bounced",
    "rebote": "bounced",
}


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    invalid: int = 0
    suppressed: int = 0  # unsubscribed or bounced: on the suppression list
    segmented: int = 0  # contacts added to a fixed segment (each membership once)
    problems: list[RowProblem] = field(default_factory=list)
    dry_run: bool = False


def _refusal(data):
    """The suppression reason a row carries, or None."""
    if clean_consent(data.get("bounced")):
        return SuppressionReason.BOUNCED
    if clean_consent(data.get("unsubscribed")):
        return SuppressionReason.UNSUBSCRIBED
    return None


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
    rows = list(read_rows(content, extra=CONTACT_COLUMNS))
    source = _("importación %(name)s") % {"name": source_name or "CSV"}
    for _number, data in rows:  # first: who must not be written to
        reason = _refusal(data)
        if reason is None:
            continue
        data["consent"] = data["sms_consent"] = ""
        try:
            address = normalize(Channel.EMAIL, data.get("email", ""))
        except ValidationError:
            continue  # the row is refused below with its error
        report.suppressed += 1
        if not dry_run:
            suppress(
                channel=Channel.EMAIL, address=address, reason=reason, source=source, user=user
            )
    seen = set()  # a dry run's emails so far: the second row of one person updates
    for number, data in rows:
        report.rows += 1
        segments = clean_interests(data.pop("segments", ""))
        for flag in ("unsubscribed", "bounced"):
            data.pop(flag, None)
        if source_name and not data.get("utm_source"):
            data["utm_source"] = source_name
        data["tags"] = clean_interests(data.get("tags", "")) + list(tags)
        if consent_text:
            data["consent_text"] = consent_text
        if dry_run:
            cleaned = clean_lead(data)
            errors = cleaned.errors
            if not errors:
                email = cleaned.values["email"].lower()
                known = email in seen or find_lead(email) is not None
                seen.add(email)
                report.updated += known
                report.created += not known
        else:
            result = capture_lead(data=data, source="csv", double_opt_in=double_opt_in, user=user)
            errors = result.errors
            if result.created:
                report.created += 1
            elif result.lead is not None:
                report.updated += 1
            if result.lead is not None:
                errors = {**errors, **_add_to_segments(result.lead, segments, report)}
        if errors:
            report.invalid += 1
            segment_errors = errors.pop("segments", [])
            report.problems += [
                RowProblem(row=number, field=label, error=message)
                for label, messages in labelled_errors(errors)
                for message in messages
            ] + [RowProblem(row=number, field=_("Segmentos"), error=m) for m in segment_errors]
    return report


def _add_to_segments(lead: Lead, names, report):
    """Put the contact in each fixed segment named (made if missing); a segment of that
    name defined by rules takes nobody by hand: that is an error for the row."""
    errors = []
    for name in names:
        segment = Segment.objects.filter(name__iexact=name).first() or Segment.objects.create(
            name=name, kind=Segment.Kind.STATIC
        )
        if segment.kind != Segment.Kind.STATIC:
            errors.append(
                _("El segmento «%(name)s» es por reglas: no se le añaden contactos a mano.")
                % {"name": segment.name}
            )
        elif not segment.members.filter(pk=lead.pk).exists():
            segment.members.add(lead)
            report.segmented += 1
    return {"segments": errors} if errors else {}


def summary_text(report: ImportReport) -> str:
    """The counts in staff's words."""
    text = _(
        "Filas: %(rows)d · contactos nuevos: %(created)d · actualizados: %(updated)d · "
        "con errores: %(invalid)d · en la lista de supresión (bajas y rebotes): "
        "%(suppressed)d · añadidos a segmentos: %(segmented)d."
    ) % vars(report)
    return _("Prueba, no se guardó nada. %(text)s") % {"text": text} if report.dry_run else text
