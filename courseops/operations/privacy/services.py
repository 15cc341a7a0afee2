"""Export and erasure of everything held about one person, across every registered part."""

import csv
import io
import json
import zipfile

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from courseops.audit.services import log_action
from courseops.operations import encryption, webhook_events
from courseops.operations.models import Erasure
from courseops.operations.privacy.registry import Person, registered_parts
from courseops.operations.privacy.scan import count_traces


def identify(email: str) -> Person:
    person = Person(email=email.strip().lower())
    for part in registered_parts():
        part.identify(person)
    return person


def export_data(email: str) -> dict[str, list[dict]]:
    """`{"<part>.<table>": [rows]}` for every part holding something about the person."""
    person = identify(email)
    data = {}
    for part in registered_parts():
        for table, rows in part.export(person).items():
            if rows:
                data[f"{part.name}.{table}"] = rows
    return data


def purposes(email: str) -> list[dict]:
    """Every purpose the person's data serves, with its lawful basis and consent state."""
    person = identify(email)
    return [
        row | {"app": part.name} for part in registered_parts() for row in part.purposes(person)
    ]


def export_archive(email: str) -> bytes:
    """A zip with `persona.json` (everything) and one CSV per table."""
    data = export_data(email)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "persona.json",
            json.dumps(
                {"email": email, "data": data}, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2
            ),
        )
        for table, rows in data.items():
            archive.writestr(f"{table}.csv", _csv(rows))
    return buffer.getvalue()


def archive_name(email: str) -> str:
    """A file name that does not carry the email (it ends up in download folders and logs)."""
    return f"datos-personales-{email_hash(email)[:12]}.zip"


def _csv(rows):
    out = io.StringIO()
    columns = list(dict.fromkeys(key for row in rows for key in row))
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                key: json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
                if isinstance(value, dict | list)
                else value
                for key, value in row.items()
            }
        )
    return out.getvalue()


def email_hash(email: str) -> str:
    return encryption.blind_index(f"erasure:{email.strip().lower()}")


def erase_person(email: str, *, user=None) -> Erasure:
    """Ask outside services to forget the person, then anonymise every table in one
    transaction; aggregate rows (registrations, messages, answers) stay, without them.
    The record keeps what a scan of every text column still found (`traces`, zero
    expected)."""
    person = identify(email)
    external = {}
    for part in registered_parts():
        external.update(part.forget(person))
    touched = {}
    with transaction.atomic():
        for part in registered_parts():
            for table, count in part.erase(person).items():
                if count:
                    touched[f"{part.name}.{table}"] = count
        traces = count_traces(person.needles)
        erasure = Erasure.objects.create(
            email_hash=email_hash(email),
            erased_by=user,
            touched=touched,
            external=external,
            traces=traces,
        )
        log_action(
            erasure,
            "operations.person.erased",
            user=user,
            data={
                "touched": touched,
                "external": external,
                "traces_left": {table: n for table, n in traces.items() if n},
            },
        )
        webhook_events.person_erased(erasure, person.objects)
    return erasure
