"""HubSpot: contacts and deals upserted by their unique keys through the official SDK
(faked at HTTP with pytest-httpserver, answers from HubSpot's API reference), consent-aware
properties, retries that never create a second record, and erasure as a GDPR delete."""

import json
import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from werkzeug import Response

from courseops.operations.privacy.services import erase_person
from marketing.crm.models import HubSpotSync
from marketing.crm.services import request_contact_sync, sync_due, sync_row
from marketing.models import Lead, Purpose
from marketing.services.consent import request_consent, withdraw_consent
from students.models import Plan, Student, Subscription

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parents[1] / "fixtures" / "vendors" / "hubspot"
CONTACTS = "/crm/v3/objects/contacts/batch/upsert"
DEALS = "/crm/v3/objects/deals/batch/upsert"
GDPR = "/crm/v3/objects/contacts/gdpr-delete"
ASSOCIATE = "/crm/v4/objects/deals/90017/associations/default/contacts/51234"
NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)


def answer(name, status=200):
    return Response((FIXTURES / name).read_text(), status=status, content_type="application/json")


@pytest.fixture
def hubspot(httpserver, settings):
    settings.HUBSPOT_ACCESS_TOKEN = "pat-na1-test"
    settings.HUBSPOT_API_BASE = httpserver.url_for("").rstrip("/")
    settings.HUBSPOT_TIMEOUT_SECONDS = 5
    httpserver.expect_request(CONTACTS, method="POST").respond_with_response(
        answer("batch_upsert_contacts.json")
    )
    httpserver.expect_request(DEALS, method="POST").respond_with_response(
        answer("batch_upsert_deals.json")
    )
    httpserver.expect_request(ASSOCIATE, method="PUT").respond_with_response(
        answer("association_default.json")
    )
    httpserver.expect_request(GDPR, method="POST").respond_with_data("", status=204)
    return httpserver


def sent(server, path):
    return [json.loads(request.data) for request, _response in server.log if request.path == path]


def lead(email="ana@example.com", *, consent=True, phone="+525512345678"):
    contact = Lead.objects.create(
        email=email, name="Ana López", phone=phone, first_source="landing:ia", last_source="api"
    )
    if consent:
        request_consent(
            lead=contact, purpose=Purpose.NEWSLETTER, source="test", text="sí", double_opt_in=False
        )
    return contact


def row(email="ana@example.com"):
    return HubSpotSync.objects.get(kind="contact", ref=email)


def test_a_consenting_contact_is_upserted_by_email_with_its_marketing_profile(hubspot):
    lead()
    synced = sync_row(pk=row().pk)

    [body] = sent(hubspot, CONTACTS)
    assert body == {
        "inputs": [
            {
                "id": "ana@example.com",
                "idProperty": "email",
                "properties": {
                    "email": "ana@example.com",
                    "firstname": "Ana",
                    "lastname": "López",
                    "courseops_marketing_consent": "true",
                    "courseops_stage": "subscriber",
                    "lifecyclestage": "subscriber",
                    "phone": "+525512345678",
                    "courseops_first_source": "landing:ia",
                },
            }
        ]
    }
    request = hubspot.log[0][0]
    assert request.headers["Authorization"] == "Bearer pat-na1-test"
    assert (synced.state, synced.hubspot_id) == ("synced", "51234")
    assert synced.basis.startswith("Consentimiento")


def test_without_consent_only_name_and_stage_go_and_a_withdrawal_clears_the_phone(hubspot):
    contact = lead()
    sync_row(pk=row().pk)
    withdraw_consent(lead=contact, purpose=Purpose.NEWSLETTER, source="test")
    synced = sync_row(pk=row().pk)

    first, second = sent(hubspot, CONTACTS)
    assert first["inputs"][0]["properties"]["phone"] == "+525512345678"
    properties = second["inputs"][0]["properties"]
    assert properties["phone"] == ""
    assert properties["courseops_first_source"] == ""
    assert properties["courseops_marketing_consent"] == "false"
    assert synced.basis.startswith("Interés legítimo")


def test_a_student_without_consent_is_a_customer_under_the_contract(hubspot):
    plan = Plan.objects.create(slug="pro", name="Pro", price="49.00", currency="USD")
    student = Student.objects.create(
        full_name="Lucía Pérez", email="lucia@example.com", plan=plan, source="api"
    )
    synced = sync_row(pk=row("lucia@example.com").pk)

    properties = sent(hubspot, CONTACTS)[-1]["inputs"][0]["properties"]
    assert properties["lifecyclestage"] == "customer"
    assert properties["courseops_student_id"] == str(student.pk)
    assert properties["phone"] == ""
    assert synced.basis.startswith("Ejecución de contrato")


def test_a_row_is_sent_once_however_many_workers_pick_it_up(hubspot):
    lead()
    pk = row().pk
    assert sync_row(pk=pk) is not None
    assert sync_row(pk=pk) is None  # already synced: nothing to claim
    request_contact_sync("ANA@example.com ")  # one row per person, whatever the spelling
    sync_row(pk=pk)

    assert HubSpotSync.objects.filter(kind="contact").count() == 1
    assert len(sent(hubspot, CONTACTS)) == 2  # the same upsert by email, never a create


def test_a_subscription_becomes_a_deal_keyed_by_its_stripe_id_and_tied_to_its_contact(hubspot):
    plan = Plan.objects.create(slug="pro", name="Pro", price="49.00", currency="USD")
    student = Student.objects.create(
        full_name="Ana López", email="ana@example.com", plan=plan, source="stripe"
    )
    Subscription.objects.create(
        student=student,
        plan=plan,
        stripe_subscription_id="sub_1QHubspot",
        status="active",
        started_at=NOW,
    )
    synced = sync_row(pk=HubSpotSync.objects.get(kind="deal").pk)

    [body] = sent(hubspot, DEALS)
    assert body["inputs"][0]["idProperty"] == "courseops_subscription_id"
    assert body["inputs"][0]["id"] == "sub_1QHubspot"
    assert body["inputs"][0]["properties"] == {
        "dealname": "Pro · sub_1QHubspot",
        "pipeline": "default",
        "dealstage": "closedwon",
        "amount": "49.00",
        "deal_currency_code": "USD",
        "closedate": "2026-11-25T18:00:00+00:00",
        "courseops_subscription_id": "sub_1QHubspot",
    }
    assert len([r for r, _ in hubspot.log if r.path == ASSOCIATE and r.method == "PUT"]) == 1
    assert (synced.state, synced.hubspot_id) == ("synced", "90017")


def test_a_transient_failure_waits_and_retries_a_permanent_one_stops_with_its_error(
    httpserver, settings
):
    settings.HUBSPOT_ACCESS_TOKEN = "pat-na1-test"
    settings.HUBSPOT_API_BASE = httpserver.url_for("").rstrip("/")
    httpserver.expect_ordered_request(CONTACTS).respond_with_json(
        {"status": "error", "message": "Service unavailable"}, status=503
    )
    httpserver.expect_ordered_request(CONTACTS).respond_with_response(
        answer("batch_upsert_error.json", status=207)
    )
    with time_machine.travel(NOW, tick=False) as clock:
        lead()
        waiting = sync_row(pk=row().pk)
        assert (waiting.state, waiting.attempts) == ("pending", 1)
        assert waiting.next_attempt_at == NOW + timedelta(minutes=2)
        assert "503" in waiting.last_error
        assert sync_row(pk=row().pk) is None  # not due yet
        clock.shift(timedelta(minutes=3))
        failed = sync_row(pk=row().pk)

    assert failed.state == "failed"
    assert "courseops_stage" in failed.last_error


def test_work_left_by_a_dead_worker_is_taken_over(hubspot):
    lead()
    dead = f"{socket.gethostname()}:{2**22 + os.getpid() % 1000}"
    HubSpotSync.objects.update(state="sending", held_by=dead)
    sync_due()
    assert row().state == "pending"
    assert sync_row(pk=row().pk).state == "synced"


def test_erasure_asks_hubspot_to_forget_and_nothing_about_the_person_is_sent_after(hubspot):
    lead()
    sync_row(pk=row().pk)
    record = erase_person(email="ana@example.com")

    assert sent(hubspot, GDPR) == [{"objectId": "ana@example.com", "idProperty": "email"}]
    assert record.external["hubspot"] == "borrado (RGPD)"
    assert not any(record.traces.values())
    assert not HubSpotSync.objects.filter(kind="contact").exists()
    assert len(sent(hubspot, CONTACTS)) == 1


def test_nothing_is_recorded_while_hubspot_is_off(db):
    lead()
    assert not HubSpotSync.objects.exists()


def test_only_staff_allowed_to_change_sync_rows_can_retry_and_no_token_is_shown(
    hubspot, django_user_model, django_capture_on_commit_callbacks
):
    lead()
    HubSpotSync.objects.update(state="failed", last_error="HubSpot respondió 400")
    user = django_user_model.objects.create_user("marketing", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_hubspotsync"))
    staff = Client()
    staff.force_login(user)
    changelist = reverse("admin:marketing_hubspotsync_changelist")
    action = {"action": "retry", "_selected_action": [row().pk]}

    page = staff.get(changelist).content.decode()
    assert "HubSpot respondió 400" in page
    assert "pat-na1-test" not in page
    staff.post(changelist, action)
    assert row().state == "failed"  # viewing is not retrying

    user.user_permissions.add(Permission.objects.get(codename="change_hubspotsync"))
    with django_capture_on_commit_callbacks() as enqueued:
        staff.post(changelist, action)
    assert row().state == "pending"
    assert len(enqueued) == 1
