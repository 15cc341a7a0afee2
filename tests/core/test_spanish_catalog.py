"""The Spanish catalog of third-party strings: unfold and axes ship none, so without it
staff read "Type to search", "Select action" and "Run" in a Spanish admin."""

import gettext

import pytest
from django.conf import settings
from django.utils import translation

PO = settings.BASE_DIR / "locale" / "es" / "LC_MESSAGES" / "django.po"


@pytest.mark.parametrize(
    ("english", "spanish"),
    [
        ("Type to search", "Escribe para buscar"),
        ("Select action", "Elegir acción"),
        ("Run", "Aplicar"),
        ("Select all rows", "Seleccionar todas las filas"),
        ("No data", "Sin datos"),
        ("Failed Logins", "Accesos fallidos"),
        # Django's own Spanish still answers for what it translates.
        ("Log out", "Cerrar sesión"),
    ],
)
def test_third_party_strings_read_in_spanish(english, spanish):
    with translation.override("es"):
        assert translation.gettext(english) == spanish


def test_the_spanish_catalog_translates_every_entry_and_is_compiled():
    from tests.core.test_translation_catalog import po_entries

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("tests.core.test_translation_catalog.PO", PO)
        entries = po_entries()
    assert entries
    assert all(all(strs) for _id, _plural, strs, _f, _s in entries)
    with PO.with_suffix(".mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)._catalog
    compiled.pop("", None)
    singular = {msgid for msgid, plural, *_ in entries if plural is None}
    assert singular <= set(compiled), "locale/es/LC_MESSAGES/django.mo is stale: make messages"
    assert len(compiled) == len(singular) + 2 * (len(entries) - len(singular))


def test_the_spanish_catalog_holds_no_string_of_ours():
    """Our source strings are Spanish already: entries with source references would mean
    `makemessages -l es` regenerated the catalog with every msgid of ours."""
    from tests.core.test_translation_catalog import po_entries

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("tests.core.test_translation_catalog.PO", PO)
        entries = po_entries()
    assert "Inscripción confirmada: %(title)s" not in {msgid for msgid, *_ in entries}
    assert [sources for *_rest, sources in entries if sources] == []
