"""The English catalog: committed compiled, in step with its source, complete where
people outside the staff read it, and with every placeholder kept.

The `.mo` is committed (a clean clone needs no GNU gettext to run in English); after
`make messages` (or editing the `.po`) it must be compiled again, which the first test
enforces.
"""

import ast
import gettext
import re

import pytest
from django.conf import settings
from django.utils.translation.template import templatize

PO = settings.BASE_DIR / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
# Where strings read by students, leads and integrators live (staff-only emails excluded).
PUBLIC_SOURCES = (
    "templates/emails/",
    "templates/sms/",
    "templates/portal/",
    "templates/students/",
    "templates/billing/",
    "templates/content/",
    "webinars/templates/webinars/",
    "marketing/templates/marketing/landing/",
    "courseops/messaging/templates/messaging/",
    "students/intake/validation.py",
    "students/intake/forms.py",
    "students/intake/pages.py",
    "students/portal/",
    "content/portal/",
    "webinars/portal/",
    "webinars/forms.py",
    "webinars/services/registrations.py",
    "templates/engagement/",
    "engagement/portal_navigation.py",
    "engagement/views.py",
    "engagement/forms.py",
    "engagement/api/",
    "engagement/services/intake.py",
    "engagement/drip/services.py",
    "marketing/templates/marketing/",
    "marketing/views.py",
    "marketing/api/",
    "marketing/services/leads.py",
    "courseops/operations/throttling.py",
    "courseops/core/api.py",
    "courseops/core/idempotency.py",
    "courseops/core/parsers.py",
    "courseops/core/player.py",
    "students/api/",
    "students/onboarding/status.py",
    "marketing/landing/forms.py",
    "marketing/landing/views.py",
    "marketing/offers/checkout.py",
    "marketing/offers/views.py",
    "surveys/templates/surveys/",
    "surveys/services.py",
)
STAFF_ONLY_SOURCES = (
    "templates/emails/support/",
    "templates/emails/engagement/weekly_report.",
    "templates/engagement/weekly_report.html",
)
GETTEXT_CALLS = {
    "_",
    "gettext",
    "gettext_lazy",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
}
# What `templatize` (the step makemessages runs on templates) turns {% translate %} into.
TEMPLATE_CALL = re.compile(r"\b(n?p?gettext)\(((?:u?'(?:[^'\\]|\\.)*'\s*,?\s*)+)")
TEMPLATE_STRING = re.compile(r"u?'(?:[^'\\]|\\.)*'")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdr]|%(?:\.\d)?[sdf]|\{[a-z_]*\}")


def po_entries():
    """(msgid, msgid_plural, [msgstr...], flags, sources) for every entry but the header."""
    entries = []
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        fields, flags, sources, key = {}, "", [], None
        for line in block.strip().splitlines():
            if line.startswith("#,"):
                flags = line
            elif line.startswith("#:"):
                sources += line[2:].split()
            elif line.startswith('"'):
                fields[key] += ast.literal_eval(line)
            elif line and not line.startswith("#"):
                key, _, value = line.partition(" ")
                fields[key] = ast.literal_eval(value)
        if fields.get("msgid"):
            strs = [v for k, v in sorted(fields.items()) if k.startswith("msgstr")]
            entries.append((fields["msgid"], fields.get("msgid_plural"), strs, flags, sources))
    return entries


def python_msgids(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name in GETTEXT_CALLS:
            arg = node.args[1] if name.startswith("pgettext") else node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                yield arg.value


def template_msgids(path):
    source = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    for call in TEMPLATE_CALL.finditer(source):
        strings = [ast.literal_eval(s) for s in TEMPLATE_STRING.findall(call.group(2))]
        yield strings[1] if call.group(1).endswith("pgettext") else strings[0]


def public_source_files():
    for source in PUBLIC_SOURCES:
        path = settings.BASE_DIR / source
        paths = [path] if path.is_file() else sorted(path.rglob("*"))
        for file in paths:
            relative = str(file.relative_to(settings.BASE_DIR))
            if file.suffix in (".py", ".html", ".txt") and not relative.startswith(
                STAFF_ONLY_SOURCES
            ):
                yield relative, file


def test_the_committed_mo_is_compiled_from_the_po():
    """Fails after editing the .po without compiling: `make messages` does both."""
    expected = {}
    for msgid, plural, strs, flags, _sources in po_entries():
        if "fuzzy" in flags or not all(strs):
            continue
        if plural is None:
            expected[msgid] = strs[0]
        else:
            expected.update({(msgid, n): text for n, text in enumerate(strs)})
    with MO.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)._catalog
    compiled.pop("", None)  # the header

    assert compiled == expected, "locale/en/LC_MESSAGES/django.mo is stale: run `make messages`"


def test_every_translation_keeps_the_placeholders_of_its_source():
    wrong = [
        msgid
        for msgid, plural, strs, _flags, _sources in po_entries()
        for text in strs
        if text
        and sorted(PLACEHOLDER.findall(text))
        not in (sorted(PLACEHOLDER.findall(msgid)), sorted(PLACEHOLDER.findall(plural or "")))
    ]

    assert wrong == []


def test_every_string_people_outside_the_staff_read_has_an_english_translation():
    """Failing after `make messages` means a new public string needs its English."""
    missing = [
        msgid
        for msgid, _plural, strs, flags, sources in po_entries()
        if any(
            s.startswith(PUBLIC_SOURCES) and not s.startswith(STAFF_ONLY_SOURCES) for s in sources
        )
        and ("fuzzy" in flags or not all(strs))
    ]

    assert missing == []


def test_every_public_string_in_the_code_is_in_the_catalog():
    """Catches a public string added without running `make messages`, which the test
    above cannot see because the string is not in the .po at all."""
    catalog = {msgid for msgid, *_rest in po_entries()}
    missing = [
        (relative, msgid)
        for relative, file in public_source_files()
        for msgid in (python_msgids(file) if file.suffix == ".py" else template_msgids(file))
        if msgid not in catalog
    ]

    assert missing == [], "run `make messages` and translate the new strings"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Registration confirmed: %(title)s"), ("es", "Inscripción confirmada: %(title)s")],
)
def test_the_catalog_is_found_at_runtime(language, expected):
    from django.utils import translation

    with translation.override(language):
        assert translation.gettext("Inscripción confirmada: %(title)s") == expected
