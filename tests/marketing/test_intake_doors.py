"""The API, the CSV command and the admin upload: the same contact rules at every door."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courseops.messaging.services import suppress
from marketing.models import Consent, Lead, LeadForm
from marketing.services.scoring import record_action

pytestmark = pytest.mark.django_db

CSV = (
    "correo;nombre;teléfono;intereses;consentimiento\n"
    "ana@example.com;Ana Ruiz;+34 600 111 222;IA, ventas;sí\n"
    "ANA@example.com;Ana bis;;;\n"
    "beto@gmial.com;Beto;;;\n"
    "carla@example.com;Carla;123;;no\n"
).encode("cp1252")


def test_post_creates_a_contact_with_its_consent_record_and_a_second_post_updates_it(
    api_client, django_capture_on_commit_callbacks
):
    LeadForm.objects.create(slug="webinar-ia", name="Landing IA", newsletter_text="Quiero IA")
    body = {
        "email": "Ana@Example.com",
        "nombre": "Ana",
        "formulario": "webinar-ia",
        "consentimiento": True,
        "etiquetas": ["landing"],
        "utm_source": "ig",
    }
    with django_capture_on_commit_callbacks(execute=True):
        first = api_client.post("/api/v1/leads/", body, format="json", REMOTE_ADDR="203.0.113.9")
        again = api_client.post(
            "/api/v1/leads/",
            {"email": "ana@example.com", "telefono": "+34600111222"},
            format="json",
        )

    assert first.status_code == 201, first.json()
    assert again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert again.json()["phone"] == "+34600111222"
    assert first.json()["tags"] == ["landing"]
    consent = Consent.objects.get()
    assert (consent.status, consent.source, consent.text, consent.ip) == (
        "pending",
        "api:webinar-ia",
        "Quiero IA",
        "203.0.113.9",
    )


def test_bad_input_gets_a_400_with_the_errors_per_field(api_client):
    response = api_client.post(
        "/api/v1/leads/", {"email": "no-es-un-email", "formulario": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert "formulario" in response.json()["errores"]  # named as the request named it

    response = api_client.post("/api/v1/leads/", {"email": "no-es-un-email"}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()["errores"]
    response = api_client.post("/api/v1/leads/", ["x"], format="json")
    assert response.status_code == 400
    assert not Lead.objects.exists()


def test_the_list_filters_by_valid_consent_and_reads_one_contact(api_client, consented_lead):
    other = Lead.objects.create(email="beto@example.com", first_source="api", last_source="api")
    suppress(channel="sms", address="+34600111222", reason="sms_stop", source="x")

    by_newsletter = api_client.get("/api/v1/leads/?consent=newsletter_email").json()["results"]
    by_sms = api_client.get("/api/v1/leads/?consent=marketing_sms").json()["results"]
    detail = api_client.get(f"/api/v1/leads/{other.pk}/")

    assert [lead["email"] for lead in by_newsletter] == ["ana@example.com"]
    assert by_sms == []
    assert detail.json()["email"] == "beto@example.com"
    assert api_client.get("/api/v1/leads/?stage=nope").status_code == 400


def test_the_import_command_dry_run_reports_each_bad_row_and_stores_nothing(tmp_path, capsys):
    path = tmp_path / "leads.csv"
    path.write_bytes(CSV)

    call_command("import_leads", str(path), "--dry-run")

    out = capsys.readouterr().out
    assert "Fila 4 · Correo electrónico:" in out
    assert "Fila 5 · Teléfono:" in out
    assert (
        "Prueba, no se guardó nada. Filas: 4 · contactos nuevos: 1 · actualizados: 1 · con "
        "errores: 2 · en la lista de supresión (bajas y rebotes): 0 · añadidos a segmentos: 0."
    ) in out
    assert not Lead.objects.exists()


def test_importing_the_same_file_twice_creates_each_person_once(tmp_path, capsys):
    path = tmp_path / "leads.csv"
    path.write_bytes(CSV)

    call_command("import_leads", str(path), "--tag", "feria", "--consent-text", "Boletín")
    call_command("import_leads", str(path))

    out = capsys.readouterr().out
    assert "Filas: 4 · contactos nuevos: 1 · actualizados: 1 · con errores: 2 ·" in out
    assert "Filas: 4 · contactos nuevos: 0 · actualizados: 2 · con errores: 2 ·" in out
    lead = Lead.objects.get()
    assert (lead.email, lead.name, lead.first_source) == ("ana@example.com", "Ana Ruiz", "csv")
    assert list(lead.tags.values_list("name", flat=True)) == ["feria"]
    assert lead.consents.get().text == "Boletín"


def test_the_admin_upload_imports_with_a_report(client, staff_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(staff_user)
    response = client.post(
        "/admin/marketing/lead/import-csv/",
        {"file": SimpleUploadedFile("l.csv", CSV), "tags": "feria, 2026", "dry_run": ""},
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "contactos nuevos: 1" in page
    assert "gmail.com" in page
    assert sorted(Lead.objects.get().tags.values_list("name", flat=True)) == ["2026", "feria"]


def _leads(count):
    for n in range(count):
        lead = Lead.objects.create(email=f"p{n}@example.com", first_source="api", last_source="api")
        Consent.objects.create(
            lead=lead,
            purpose="newsletter_email",
            status="granted",
            source="api",
            text="x",
            requested_at=lead.created_at,
        )
        record_action(lead=lead, action="clicked", ref="c1")


def test_the_leads_list_loads_in_the_same_number_of_queries_at_3_and_30_rows(client, staff_user):
    client.force_login(staff_user)
    counts = []
    for total in (3, 30):
        Lead.objects.all().delete()
        _leads(total)
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/admin/marketing/lead/?consent=newsletter_email&score=0-10")
        assert response.status_code == 200
        assert response.content.decode().count("@example.com") >= total
        assert "/admin/marketing/lead/import-csv/" in response.content.decode()
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_the_leads_api_accepts_correo_like_the_other_spanish_keys(api_client):
    response = api_client.post(
        "/api/v1/leads/", {"correo": "dana@example.com", "nombre": "Dana"}, format="json"
    )

    assert response.status_code == 201, response.json()
    assert Lead.objects.get().email == "dana@example.com"


def test_the_leads_api_refuses_loose_types_naming_the_fields_as_sent(api_client):
    response = api_client.post(
        "/api/v1/leads/",
        {"correo": ["x@example.com"], "nombre": {"x": 1}, "intereses": 5},
        format="json",
    )

    assert response.status_code == 400
    assert sorted(response.json()["errores"]) == ["correo", "intereses", "nombre"]
    assert not Lead.objects.exists()
