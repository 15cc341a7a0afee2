"""Campaigns: approved content only, a snapshot at start, batches that resume exactly,
A/B winners by human clicks, local-time schedules."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db.models.signals import post_save
from django.test import Client
from django.utils import timezone

from courseops.messaging.models import OutboundMessage, Status
from courseops.messaging.services import suppress
from courseops.reviews.models import Draft
from courseops.reviews.services import approve_draft
from marketing.models import Campaign, Consent, Lead, Recipient, Segment, TrackingEvent, Variant
from marketing.services.campaigns import (
    CampaignError,
    run_campaigns,
    schedule_campaign,
    send_batch,
    set_paused,
    start_campaign,
)
from marketing.services.content import draft_variant_with_ai, submit_variant
from tests.marketing.conftest import NOON

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Safari/605.1.15"
SCANNER = "Mozilla/5.0 (compatible; Proofpoint URL Defense scanner)"


def make_leads(count, *, zone="America/Mexico_City", prefix="p"):
    leads = Lead.objects.bulk_create(
        Lead(
            email=f"{prefix}{n}@example.com",
            name=f"Persona{n} Apellido",
            time_zone=zone,
            first_source="csv",
            last_source="csv",
        )
        for n in range(count)
    )
    Consent.objects.bulk_create(
        Consent(
            lead=lead,
            purpose="newsletter_email",
            status="granted",
            source="csv",
            text="x",
            requested_at=timezone.now(),
        )
        for lead in leads
    )
    return leads


def approve(variant, staff_user):
    draft = submit_variant(variant=variant)
    with_callbacks = approve_draft(draft=draft, user=staff_user)
    variant.refresh_from_db()
    return with_callbacks


@pytest.fixture
def everyone(db):
    return Segment.objects.create(name="Todos", rules={"match": "all", "conditions": []})


@pytest.fixture
def campaign_factory(everyone, staff_user, django_capture_on_commit_callbacks):
    def make(*, labels=("A",), **fields):
        campaign = Campaign.objects.create(name="Noviembre", **fields)
        campaign.segments.add(everyone)
        for label in labels:
            variant = Variant.objects.create(
                campaign=campaign,
                label=label,
                subject=f"{{nombre}}, novedades {label}",
                body_html=f'<p>Hola {{nombre}}</p><p><a href="https://example.com/{label}">'
                "Ver</a></p>",
            )
            with django_capture_on_commit_callbacks(execute=True):
                approve(variant, staff_user)
        return campaign

    return make


def run(capture, at):
    with time_machine.travel(at, tick=False), capture(execute=True):
        return run_campaigns()


def test_nothing_unapproved_goes_out(everyone, django_capture_on_commit_callbacks):
    campaign = Campaign.objects.create(name="Sin aprobar")
    campaign.segments.add(everyone)
    Variant.objects.create(campaign=campaign, subject="Hola", body_html="<p>x</p>")

    with pytest.raises(CampaignError):
        schedule_campaign(campaign=campaign)
    assert Campaign.objects.get().status == Campaign.Status.DRAFT


def test_a_campaign_goes_once_to_each_consented_contact_with_tracked_links_and_unsubscribe(
    campaign_factory, django_capture_on_commit_callbacks
):
    make_leads(5)
    Lead.objects.create(email="noconsent@example.com", first_source="api", last_source="api")
    suppress(channel="email", address="p4@example.com", reason="unsubscribed")
    campaign = campaign_factory(send_at=NOON, batch_size=3)
    schedule_campaign(campaign=campaign)

    assert run(django_capture_on_commit_callbacks, NOON - timedelta(minutes=1)) == 0
    assert run(django_capture_on_commit_callbacks, NOON) == 3
    assert run(django_capture_on_commit_callbacks, NOON + timedelta(minutes=1)) == 1
    run(django_capture_on_commit_callbacks, NOON + timedelta(minutes=2))

    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT
    messages = OutboundMessage.objects.filter(idempotency_key__startswith="marketing.campaign.")
    assert sorted(messages.values_list("recipient", flat=True)) == [
        f"p{n}@example.com" for n in range(4)
    ]
    assert set(messages.values_list("status", flat=True)) == {Status.SENT}
    message = messages.get(recipient="p1@example.com")
    assert message.subject == "Persona1, novedades A"
    assert "Hola Persona1" in message.html_body
    assert "/suscripcion/c/" in message.html_body
    assert "https://example.com/A" not in message.html_body
    assert "/suscripcion/preferencias/" in message.html_body
    assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Ver" in message.text_body


def test_a_send_killed_mid_batch_resumes_with_nobody_twice_and_nobody_skipped(
    campaign_factory, django_capture_on_commit_callbacks
):
    make_leads(10)
    campaign = campaign_factory(batch_size=4)
    schedule_campaign(campaign=campaign)
    with time_machine.travel(NOON, tick=False):
        start_campaign(campaign=campaign)
    campaign.refresh_from_db()
    created = []

    def crash_on_the_third(sender, instance, created_row=None, **kwargs):
        created.append(instance.pk)
        if len(created) == 7:  # the 3rd message of the 2nd batch
            raise RuntimeError("worker killed")

    post_save.connect(crash_on_the_third, sender=OutboundMessage, dispatch_uid="crash")
    try:
        with time_machine.travel(NOON, tick=False):
            assert send_batch(campaign=campaign) == 4
            with pytest.raises(RuntimeError):
                send_batch(campaign=campaign)
    finally:
        post_save.disconnect(dispatch_uid="crash")

    assert OutboundMessage.objects.count() == 4  # the killed batch left nothing behind
    assert Recipient.objects.filter(status="queued").count() == 4
    with time_machine.travel(NOON, tick=False):
        while send_batch(campaign=campaign):
            pass

    keys = list(OutboundMessage.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == len(set(keys)) == 10
    assert not Recipient.objects.filter(status="pending").exists()


def test_pausing_stops_queueing_and_resuming_continues_where_it_stopped(
    campaign_factory, django_capture_on_commit_callbacks
):
    make_leads(6)
    campaign = campaign_factory(batch_size=2, send_at=NOON)
    schedule_campaign(campaign=campaign)
    run(django_capture_on_commit_callbacks, NOON)
    set_paused(campaign=campaign, paused=True)

    assert run(django_capture_on_commit_callbacks, NOON + timedelta(minutes=1)) == 0
    set_paused(campaign=campaign, paused=False)
    for minute in range(2, 6):
        run(django_capture_on_commit_callbacks, NOON + timedelta(minutes=minute))

    assert OutboundMessage.objects.filter(category="marketing").count() == 6
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT


def click_all(recipients, user_agent, capture, at):
    client = Client()
    with time_machine.travel(at, tick=False):
        for recipient in recipients:
            body = recipient.message.html_body
            start = body.index("/suscripcion/c/")
            url = body[start : body.index('"', start)]
            response = client.get(url, HTTP_USER_AGENT=user_agent)
            assert response.status_code == 302


def test_the_ab_winner_is_chosen_by_human_clicks_not_machine_ones_and_the_rest_get_it(
    campaign_factory, django_capture_on_commit_callbacks
):
    make_leads(100)
    campaign = campaign_factory(
        labels=("A", "B"), send_at=NOON, test_share=20, min_sample=5, test_wait_hours=4
    )
    schedule_campaign(campaign=campaign)
    run(django_capture_on_commit_callbacks, NOON)
    campaign.refresh_from_db()

    test_group = list(campaign.recipients.filter(status="queued").select_related("message"))
    assert campaign.phase == Campaign.Phase.TEST
    assert len(test_group) == 20
    by_variant = {"A": [], "B": []}
    for recipient in test_group:
        by_variant[recipient.variant.label].append(recipient)
    later = NOON + timedelta(hours=1)
    # A scanner follows every link of variant A; people click three of variant B.
    click_all(by_variant["A"], SCANNER, django_capture_on_commit_callbacks, later)
    click_all(by_variant["B"][:3], BROWSER, django_capture_on_commit_callbacks, later)

    run(django_capture_on_commit_callbacks, NOON + timedelta(hours=3))
    campaign.refresh_from_db()
    assert campaign.winner is None  # still waiting
    run(django_capture_on_commit_callbacks, NOON + timedelta(hours=4))
    campaign.refresh_from_db()
    assert campaign.winner.label == "B"
    assert "confianza" in campaign.winner_note
    run(django_capture_on_commit_callbacks, NOON + timedelta(hours=4, minutes=1))
    run(django_capture_on_commit_callbacks, NOON + timedelta(hours=4, minutes=2))

    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT
    rest = campaign.recipients.filter(bucket__gte=20)
    assert rest.count() == 80
    assert set(rest.values_list("variant__label", flat=True)) == {"B"}
    assert TrackingEvent.objects.filter(machine=True).count() == len(by_variant["A"])
    assert Recipient.objects.filter(clicked_at__isnull=False).count() == 3


def test_local_time_sends_at_10_in_each_contacts_zone(
    campaign_factory, django_capture_on_commit_callbacks
):
    make_leads(1, zone="Europe/Madrid", prefix="madrid")
    make_leads(1, zone="America/Mexico_City", prefix="cdmx")
    start = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # night everywhere here
    campaign = campaign_factory(schedule=Campaign.Schedule.LOCAL_TIME, send_at=start)
    schedule_campaign(campaign=campaign)

    run(django_capture_on_commit_callbacks, start)

    send_at = dict(OutboundMessage.objects.values_list("recipient", "send_at"))
    assert send_at["madrid0@example.com"] == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert send_at["cdmx0@example.com"] == datetime(2026, 11, 25, 16, 0, tzinfo=UTC)


def test_opens_are_recorded_with_machine_ones_flagged_and_never_score(
    campaign_factory, django_capture_on_commit_callbacks
):
    make_leads(1)
    campaign = campaign_factory(send_at=NOON)
    schedule_campaign(campaign=campaign)
    run(django_capture_on_commit_callbacks, NOON)
    body = OutboundMessage.objects.get(category="marketing").html_body
    start = body.index("/suscripcion/o/")
    pixel = body[start : body.index('"', start)]

    client = Client()
    with time_machine.travel(NOON + timedelta(seconds=2), tick=False):
        assert client.get(pixel, HTTP_USER_AGENT=BROWSER)["Content-Type"] == "image/gif"
    with time_machine.travel(NOON + timedelta(hours=1), tick=False):
        client.get(pixel, HTTP_USER_AGENT="Mozilla/5.0")
        client.get(pixel, HTTP_USER_AGENT=BROWSER)

    flags = list(TrackingEvent.objects.order_by("pk").values_list("machine", "reason"))
    assert flags == [
        (True, "seconds after sending"),
        (True, "privacy proxy"),
        (False, ""),
    ]
    assert Lead.objects.get().score == 0


def test_an_ai_draft_waits_for_review_and_approval_sets_what_is_sent(
    everyone, staff_user, django_capture_on_commit_callbacks
):
    campaign = Campaign.objects.create(name="IA")
    variant = Variant.objects.create(campaign=campaign, subject="-", body_html="-")

    draft = draft_variant_with_ai(variant=variant, topics=["Agentes de IA", "Prompts"])

    assert draft.kind == "newsletter"
    assert draft.status == "pending"
    variant.refresh_from_db()
    assert "Agentes de IA" in variant.body_html
    assert variant.approved_body == ""
    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=Draft.objects.get(), user=staff_user)
    variant.refresh_from_db()
    assert "{nombre}" in variant.approved_subject
    assert variant.approved_at is not None


def test_send_campaign_dry_run_counts_and_the_real_run_sends(
    campaign_factory, capsys, django_capture_on_commit_callbacks
):
    make_leads(3)
    campaign = campaign_factory()

    call_command("send_campaign", str(campaign.pk), "--dry-run")
    assert "would go to 3 contacts" in capsys.readouterr().out
    assert not OutboundMessage.objects.filter(category="marketing").exists()

    with time_machine.travel(NOON, tick=False), django_capture_on_commit_callbacks(execute=True):
        call_command("send_campaign", str(campaign.pk))
    assert "3 emails queued" in capsys.readouterr().out
    assert OutboundMessage.objects.filter(category="marketing").count() == 3


def test_the_campaign_page_shows_results_per_variant_and_the_list_is_constant_queries(
    campaign_factory, client, staff_user, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_leads(4)
    campaign = campaign_factory(send_at=NOON)
    schedule_campaign(campaign=campaign)
    run(django_capture_on_commit_callbacks, NOON)
    recipient = Recipient.objects.select_related("message").first()
    click_all([recipient], BROWSER, django_capture_on_commit_callbacks, NOON + timedelta(hours=1))
    client.force_login(staff_user)

    page = client.get(f"/admin/marketing/campaign/{campaign.pk}/change/").content.decode()
    assert "clics únicos" in page
    assert "25.0 %" in page  # 1 human click out of 4 sent

    counts = []
    for extra in (0, 10):
        for n in range(extra):
            Campaign.objects.create(name=f"c{n}").segments.add(Segment.objects.first())
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/admin/marketing/campaign/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_stats_api_reports_each_variant(
    campaign_factory, api_client, django_capture_on_commit_callbacks
):
    make_leads(2)
    campaign = campaign_factory(send_at=NOON)
    schedule_campaign(campaign=campaign)
    run(django_capture_on_commit_callbacks, NOON)

    body = api_client.get(f"/api/v1/campaigns/{campaign.pk}/stats/").json()

    assert body["status"] == "sending"
    assert body["variants"][0]["label"] == "A"
    assert (body["variants"][0]["queued"], body["variants"][0]["sent"]) == (2, 2)
    assert api_client.get("/api/v1/campaigns/999/stats/").status_code == 404


def test_best_hour_comes_from_the_contacts_own_human_signals_then_the_others_then_default(
    campaign_factory, django_capture_on_commit_callbacks
):
    from marketing.services.scoring import record_action

    night_owl, newcomer = make_leads(2, zone="Europe/Madrid")
    for day in range(3):  # clicks at 21:xx in Madrid (20:xx UTC)
        at = datetime(2026, 11, 10 + day, 20, 15, tzinfo=UTC)
        with time_machine.travel(at, tick=False):
            record_action(lead=night_owl, action="clicked", ref=f"campaign:{day}")
    start = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    campaign = campaign_factory(schedule=Campaign.Schedule.BEST_HOUR, send_at=start)
    schedule_campaign(campaign=campaign)

    run(django_capture_on_commit_callbacks, start)

    send_at = dict(OutboundMessage.objects.values_list("recipient", "send_at"))
    assert send_at["p0@example.com"] == datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
    # Too few signals of her own: the hour that works for the others in the batch.
    assert send_at["p1@example.com"] == datetime(2026, 11, 25, 20, 0, tzinfo=UTC)


def test_without_any_signal_best_hour_falls_back_to_the_campaigns_hour(
    campaign_factory, django_capture_on_commit_callbacks
):
    make_leads(1, zone="Europe/Madrid")
    start = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    campaign = campaign_factory(schedule=Campaign.Schedule.BEST_HOUR, send_at=start)
    schedule_campaign(campaign=campaign)

    run(django_capture_on_commit_callbacks, start)

    assert OutboundMessage.objects.get().send_at == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_becoming_a_student_after_the_campaign_is_its_conversion_with_the_plans_revenue(
    campaign_factory, django_capture_on_commit_callbacks
):
    from decimal import Decimal

    from marketing.services.reports import campaign_results
    from students.models import Plan, Student

    make_leads(2)
    campaign = campaign_factory(send_at=NOON)
    schedule_campaign(campaign=campaign)
    run(django_capture_on_commit_callbacks, NOON)
    with time_machine.travel(NOON + timedelta(days=3), tick=False):
        Student.objects.create(
            full_name="P",
            email="p0@example.com",
            plan=Plan.objects.create(slug="pro", name="Pro", price=Decimal("49.00")),
            source="stripe",
        )

    (row,) = campaign_results(campaign)
    assert (row["conversions"], row["revenue"]) == (1, Decimal("49.00"))


def test_an_ab_test_at_local_time_waits_from_when_its_emails_go_out_not_when_queued(
    campaign_factory, django_capture_on_commit_callbacks
):
    make_leads(40, zone="Europe/Madrid")
    start = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # 04:00 in Madrid; they go at 10:00
    campaign = campaign_factory(
        labels=("A", "B"),
        schedule=Campaign.Schedule.LOCAL_TIME,
        send_at=start,
        test_share=50,
        min_sample=5,
        test_wait_hours=4,
    )
    schedule_campaign(campaign=campaign)

    run(django_capture_on_commit_callbacks, start)

    campaign.refresh_from_db()
    assert campaign.test_ends_at == datetime(2026, 11, 25, 13, 0, tzinfo=UTC)  # 09:00 UTC + 4 h
    run(django_capture_on_commit_callbacks, start + timedelta(hours=5))
    campaign.refresh_from_db()
    assert campaign.winner is None
