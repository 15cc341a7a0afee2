"""Who holds what about a person. The core knows no domain app: each app declares, in a
`privacy.py` module (discovered like `admin.py`), the part of a person it holds:

    from courseops.operations.privacy.registry import PrivacyPart, register_part

    class StudentsPart(PrivacyPart):
        name = "students"
        def identify(self, person): ...   # add the names and phones it knows
        def export(self, person): ...     # {"table": [row dicts]}
        def forget(self, person): ...     # ask outside services to forget (before erasing)
        def erase(self, person): ...      # {"table": rows anonymised}

    register_part(StudentsPart())

An erasure first lets every part `identify` the person (a student's name and phone, a
lead's, a registration's...), so that the core's parts (messages, drafts, webhook events,
audit, tickets) can find every text that mentions any of them.
"""

from dataclasses import dataclass, field

from django.utils.module_loading import autodiscover_modules


@dataclass
class Person:
    email: str
    names: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    # Objects that are this person (a Student, a Lead...): texts about them are theirs too.
    objects: list = field(default_factory=list)

    @property
    def needles(self) -> list[str]:
        """Every string whose presence in a text points at this person, longest first."""
        found = {self.email, *self.names, *self.phones}
        return sorted((value for value in found if value and len(value) >= 4), key=len)[::-1]


def erased_email(kind: str, pk) -> str:
    """A unique, undeliverable address for an anonymised row (unique email constraints)."""
    return f"borrado-{kind}-{pk}@erased.invalid"


ERASED_NAME = "Persona borrada"


# Lawful bases (GDPR art. 6.1), as staff read them.
CONSENT = "Consentimiento (art. 6.1.a RGPD)"
CONTRACT = "Ejecución de contrato (art. 6.1.b RGPD)"
LEGAL_OBLIGATION = "Obligación legal (art. 6.1.c RGPD)"
LEGITIMATE_INTEREST = "Interés legítimo (art. 6.1.f RGPD)"


class PrivacyPart:
    name = ""

    def identify(self, person: Person) -> None:
        """Add to `person` the names, phones and objects this part knows for the email."""

    def export(self, person: Person) -> dict[str, list[dict]]:
        return {}

    def purposes(self, person: Person) -> list[dict]:
        """Why the person's data is processed: rows of `purpose`, `basis` (lawful basis),
        `status`, `since` and `source`, shown to staff per person."""
        return []

    def forget(self, person: Person) -> dict[str, str]:
        """Ask outside services to forget the person; returns what each answered."""
        return {}

    def erase(self, person: Person) -> dict[str, int]:
        return {}


_PARTS: dict[str, PrivacyPart] = {}


def register_part(part: PrivacyPart) -> PrivacyPart:
    _PARTS[part.name] = part
    return part


def registered_parts() -> list[PrivacyPart]:
    from courseops.operations.privacy import core_parts  # noqa: F401  (the core's own)

    autodiscover_modules("privacy")
    return list(_PARTS.values())
