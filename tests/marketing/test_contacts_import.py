"""Moving a list in: a contacts export with tags, lists (segments) and who unsubscribed or
bounced. Written as staff export it from a list tool to a spreadsheet (Spanish headers,
semicolons, Excel's Latin-1); the tool-specific export formats are not reproduced here."""

import pytest
from django.core.management import call_command

from courseops.messaging.models import OutboundMessage, Suppression
from courseops.messaging.services import is_suppressed
from marketing.models import Consent, Lead, Segment

pytestmark = pytest.mark.django_db

EXPORT = (
    "correo;nombre;etiquetas;segmentos;consentimiento;baja;rebotado\n"
    "ana@example.com;Ana Ruiz;webinar, ia;Clientes 2025;sí;;\n"
    "beto@example.com;Beto Luna;ia;Clientes 2025, Newsletter;sí;sí;\n"
    "carla@example.com;Carla Díaz;;Newsletter;;;x\n"
    "dani@example;Dani;;;;sí;\n"
).encode("cp1252")


@pytest.fixture
def export(tmp_path):
    path = tmp_path / "contactos.csv"
    path.write_bytes(EXPORT)
    return path


def run(path, *args, capsys):
    call_command("import_leads", str(path), "--source-name", "mautic", *args)
    return capsys.readouterr().out


def test_a_dry_run_counts_the_suppressions_and_contacts_and_stores_nothing(export, capsys):
    out = run(export, "--dry-run", capsys=capsys)

    assert (
        "Prueba, no se guardó nada. Filas: 4 · contactos nuevos: 3 · actualizados: 0 · con "
        "errores: 1 · en la lista de supresión (bajas y rebotes): 2 · añadidos a segmentos: 0."
    ) in out
    assert not Lead.objects.exists()
    assert not Suppression.objects.exists()
    assert not Segment.objects.exists()


def test_unsubscribes_and_bounces_are_suppressed_first_and_get_no_consent(
    export, capsys, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        out = run(export, "--consent-text", "Boletín 2025", capsys=capsys)

    assert "en la lista de supresión (bajas y rebotes): 2" in out
    assert is_suppressed(channel="email", address="beto@example.com", category="marketing")
    assert is_suppressed(channel="email", address="carla@example.com", category="marketing")
    assert dict(Suppression.objects.values_list("address", "reason")) == {
        "beto@example.com": "unsubscribed",
        "carla@example.com": "bounced",
    }
    assert Suppression.objects.get(address="beto@example.com").source == "importación mautic"
    # Beto said yes once, then unsubscribed: no consent from the file, no confirmation.
    assert not Consent.objects.filter(lead__email="beto@example.com").exists()
    confirmations = OutboundMessage.objects.values_list("recipient", flat=True)
    assert list(confirmations) == ["ana@example.com"]  # double opt-in, for Ana only
    # dani@example: refused, with the field and the reason in Spanish.
    assert "Fila 5 · Correo electrónico: El email no es válido: escríbelo como" in out


def test_tags_and_lists_come_along_and_a_second_run_adds_nothing(export, capsys):
    first = run(export, "--tag", "importado", capsys=capsys)
    second = run(export, "--tag", "importado", capsys=capsys)

    assert "añadidos a segmentos: 4." in first
    assert "contactos nuevos: 0 · actualizados: 3" in second
    assert "añadidos a segmentos: 0." in second
    ana = Lead.objects.get(email="ana@example.com")
    assert sorted(ana.tags.values_list("name", flat=True)) == ["ia", "importado", "webinar"]
    clients = Segment.objects.get(name="Clientes 2025")
    assert clients.kind == Segment.Kind.STATIC
    assert sorted(clients.members.values_list("email", flat=True)) == [
        "ana@example.com",
        "beto@example.com",
    ]
    assert Suppression.objects.count() == 2


def test_a_list_named_like_a_rules_segment_is_an_error_for_the_row(export, capsys):
    Segment.objects.create(name="Newsletter", kind=Segment.Kind.RULES, rules={"all": []})

    out = run(export, capsys=capsys)

    assert "Fila 3 · Segmentos: El segmento «Newsletter» es por reglas" in out
    assert not Segment.objects.get(name="Newsletter").members.exists()
