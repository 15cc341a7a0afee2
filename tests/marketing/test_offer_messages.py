"""Offers in campaigns and sequence steps: each contact's message carries the offer's
text, its code and their own link (merged once per contact at send time, through the
resume-safe batches), and a redemption that comes back from Stripe is attributed to the
campaign, step or landing page that sent the buyer, and shown in the admin."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from courseops.messaging.models import OutboundMessage
from courseops.reviews.services import apply_draft, approve_draft
from marketing.landing.models import LandingPage
from marketing.models import (
    Campaign,
    Enrolment,
    Lead,
    LeadForm,
    Recipient,
    Segment,
    Sequence,
    Step,
    Variant,
)
from marketing.offers.checkout import read_personal_link
from marketing.offers.models import Offer, OfferRedemption
from marketing.offers.services import record_redemptions
from marketing.services.campaigns import (
    CampaignError,
    read_tracking_token,
    schedule_campaign,
    send_batch,
    start_campaign,
)
from marketing.services.content import submit_variant
from marketing.services.sequences import run_sequences, submit_step
from tests.marketing.test_campaigns import make_leads
from tests.students.billing.conftest import event

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)  # 12:00 in Mexico City
SITE = "https://ops.example.com"
TRACKED = re.compile(r'href="(https://ops\.example\.com/suscripcion/c/[^"]+)"')


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def offer(db):
    return Offer.objects.create(
        name="Vuelta al cole",
        percent_off=Decimal("25"),
        code="VUELTA25",
        expires_at=NOW + timedelta(days=10),
        headline="25 % en tu primer pago",
        text="Solo para quienes vinieron al webinar.",
        status=Offer.Status.ACTIVE,
        stripe_coupon_id="coupon_1",
        stripe_promotion_code_id="promo_1",
    )


@pytest.fixture
def campaign(offer, staff_user, django_capture_on_commit_callbacks):
    campaign = Campaign.objects.create(name="Noviembre", offer=offer, batch_size=2)
    campaign.segments.add(Segment.objects.create(name="Todos", rules={"conditions": []}))
    variant = Variant.objects.create(
        campaign=campaign, subject="{nombre}, una oferta", body_html="<p>Hola {nombre}</p>"
    )
    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=submit_variant(variant=variant), user=staff_user)
    return campaign


def send_all(campaign):
    schedule_campaign(campaign=campaign)
    start_campaign(campaign=Campaign.objects.get(pk=campaign.pk))
    batches = []
    while sent := send_batch(campaign=Campaign.objects.get(pk=campaign.pk)):
        batches.append(sent)
    return batches


def test_each_campaign_email_has_the_offer_and_the_contacts_own_tracked_link(
    campaign, offer, settings
):
    settings.SITE_URL = SITE
    leads = make_leads(3)

    assert send_all(campaign) == [2, 1]  # two batches, as the campaign's rate says
    assert send_batch(campaign=campaign) == 0  # resuming queues nobody twice

    messages = OutboundMessage.objects.filter(category="marketing").order_by("recipient")
    assert [m.recipient for m in messages] == ["p0@example.com", "p1@example.com",
                                                "p2@example.com"]  # fmt: skip
    for lead, message in zip(leads, messages, strict=True):
        assert "25 % en tu primer pago" in message.html_body
        assert "Código: <strong>VUELTA25</strong> · 25 % en el primer pago" in message.html_body
        assert "hasta el 5/12/2026" in message.html_body
        assert "Código: VUELTA25 · 25 % en el primer pago" in message.text_body
        [offer_link] = TRACKED.findall(message.html_body)
        tracked = read_tracking_token(offer_link.rsplit("/", 2)[-2])
        recipient = Recipient.objects.get(pk=tracked["r"])
        assert recipient.lead_id == lead.pk
        personal = read_personal_link(tracked["u"].rsplit("/", 2)[-2])
        assert personal == {"o": offer.pk, "l": lead.pk, "c": campaign.pk, "s": None}
        assert f"Aprovechar la oferta: {offer_link}" in message.text_body


def test_the_offer_link_is_a_counted_click_that_opens_the_contacts_offer_page(campaign, settings):
    settings.SITE_URL = SITE
    make_leads(1)
    send_all(campaign)
    message = OutboundMessage.objects.get(category="marketing")
    [link] = TRACKED.findall(message.html_body)
    browser = Client(HTTP_USER_AGENT="Mozilla/5.0 (Macintosh) Safari/605.1.15")

    redirect = browser.get(link.removeprefix(SITE))
    page = browser.get(redirect["Location"].removeprefix(SITE))

    assert redirect.status_code == 302
    assert Recipient.objects.get().clicked_at is not None
    assert "<strong>VUELTA25</strong>" in page.content.decode()


def test_an_offer_that_ended_before_the_send_is_left_out_of_the_email(campaign, offer, clock):
    make_leads(1)
    schedule_campaign(campaign=campaign)
    clock.shift(timedelta(days=11))  # the offer expired while the campaign waited

    start_campaign(campaign=Campaign.objects.get(pk=campaign.pk))
    send_batch(campaign=Campaign.objects.get(pk=campaign.pk))

    message = OutboundMessage.objects.get(category="marketing")
    assert "Hola Persona0" in message.html_body
    assert "VUELTA25" not in message.html_body
    assert "VUELTA25" not in message.text_body


def test_a_campaign_cannot_be_scheduled_with_an_offer_not_yet_approved(campaign, offer):
    Offer.objects.filter(pk=offer.pk).update(status=Offer.Status.DRAFT)

    with pytest.raises(CampaignError, match="no está activa"):
        schedule_campaign(campaign=Campaign.objects.get(pk=campaign.pk))


# --- Sequence steps -----------------------------------------------------------------------


@pytest.fixture
def sequence(offer, staff_user):
    sequence = Sequence.objects.create(
        name="Recuperar", trigger=Sequence.Trigger.CHECKOUT_ABANDONED
    )
    for position, kind in ((1, Step.Kind.EMAIL), (2, Step.Kind.SMS)):
        step = Step.objects.create(
            sequence=sequence,
            position=position,
            kind=kind,
            subject="{nombre}, tu descuento",
            body="Hola {nombre}, vuelve cuando quieras.",
            offer=offer,
        )
        apply_draft(draft_id=approve_draft(draft=submit_step(step=step), user=staff_user).pk)
    return sequence


def test_a_sequence_step_merges_the_offer_and_link_for_each_contact_once(
    sequence, offer, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = SITE
    lead = Lead.objects.create(
        email="ana@example.com", name="Ana Ruiz", phone="+34600111222",
        first_source="api", last_source="api",
    )  # fmt: skip
    Enrolment.objects.create(sequence=sequence, lead=lead, next_run_at=NOW)
    email_step, sms_step = sequence.steps.order_by("position")

    for _ in range(4):  # more runs than steps: each step still goes once
        with django_capture_on_commit_callbacks(execute=True):
            run_sequences()

    email = OutboundMessage.objects.get(channel="email")
    sms = OutboundMessage.objects.get(channel="sms")
    assert "Código: <strong>VUELTA25</strong>" in email.html_body
    [link] = re.findall(r'href="(https://ops\.example\.com/o/[^"]+)"', email.html_body)
    assert read_personal_link(link.rsplit("/", 2)[-2]) == {
        "o": offer.pk, "l": lead.pk, "c": None, "s": email_step.pk,
    }  # fmt: skip
    sms_link = sms.text_body.rsplit(" ", 1)[-1]
    assert sms.text_body.startswith("Hola Ana, vuelve cuando quieras. VUELTA25: https://")
    assert read_personal_link(sms_link.rsplit("/", 2)[-2])["s"] == sms_step.pk


# --- Redemptions --------------------------------------------------------------------------


def completed(*, email, subscription, metadata):
    return {
        "id": f"cs_{subscription}",
        "object": "checkout.session",
        "mode": "subscription",
        "payment_status": "paid",
        "customer_details": {"email": email},
        "subscription": subscription,
        "currency": "usd",
        "metadata": metadata,
        "discounts": [{"coupon": "coupon_1", "promotion_code": "promo_1"}],
        "total_details": {"amount_discount": 725},  # 25 % of the 29.00 USD plan
    }


def paid_invoice(*, email, subscription):
    return {
        "id": f"in_{subscription}",
        "object": "invoice",
        "subscription": subscription,
        "customer_email": email,
        "currency": "usd",
        "discount": {"source": {"type": "coupon", "coupon": "coupon_1"},
                     "promotion_code": "promo_1"},
        "total_discount_amounts": [{"amount": 725, "discount": "di_1"}],
    }  # fmt: skip


def test_redemptions_from_campaign_and_step_links_are_attributed_and_shown_in_the_admin(
    campaign, sequence, offer, deliver, fake_stripe, plans, clock, client, staff_user
):
    step = sequence.steps.get(position=1)
    page = LandingPage.objects.create(
        slug="oferta", title="Oferta", description="Oferta", headline="Oferta", offer=offer,
        form=LeadForm.objects.create(slug="oferta", name="Oferta"), published=True,
    )  # fmt: skip
    for n, email in enumerate(
        ("p0@example.com", "p1@example.com", "p2@example.com", "p5@example.com"), 1
    ):
        fake_stripe.set_subscription(id=f"sub_{n}", email=email)
    # p0 and p1 came from the campaign, p2 from the sequence step; the invoice of p1
    # arrives before its checkout, and p3 typed the code without any link.
    deliver(
        event(
            "checkout.session.completed",
            completed(
                email="p0@example.com",
                subscription="sub_1",
                metadata={"plan": "basico", "offer": str(offer.pk), "campaign": str(campaign.pk)},
            ),
        )
    )
    deliver(event("invoice.paid", paid_invoice(email="p1@example.com", subscription="sub_2")))
    deliver(
        event(
            "checkout.session.completed",
            completed(
                email="p1@example.com",
                subscription="sub_2",
                metadata={"plan": "basico", "offer": str(offer.pk), "campaign": str(campaign.pk)},
            ),
        )
    )
    deliver(
        event(
            "checkout.session.completed",
            completed(
                email="p2@example.com",
                subscription="sub_3",
                metadata={"plan": "basico", "offer": str(offer.pk), "step": str(step.pk)},
            ),
        )
    )
    deliver(
        event(
            "checkout.session.completed",
            completed(
                email="p5@example.com",
                subscription="sub_4",
                metadata={"plan": "basico", "offer": str(offer.pk), "landing": str(page.pk)},
            ),
        )
    )
    deliver(event("invoice.paid", paid_invoice(email="p3@example.com", subscription="sub_9")))
    deliver(event("checkout.session.completed", completed(
        email="p4@example.com", subscription="sub_8",
        metadata={"plan": "basico", "campaign": "999999"})))  # fmt: skip
    clock.shift(timedelta(minutes=1))
    record_redemptions()

    rows = {
        r.redeemed_by: (r.campaign_id, r.step_id, r.landing_page_id, r.amount_discount)
        for r in OfferRedemption.objects.all()
    }
    assert rows == {
        "sub_1": (campaign.pk, None, None, 725),
        "sub_2": (campaign.pk, None, None, 725),  # its checkout named the campaign afterwards
        "sub_3": (None, step.pk, None, 725),
        "sub_4": (None, None, page.pk, 725),
        "sub_9": (None, None, None, 725),
        "sub_8": (None, None, None, 725),  # an unknown campaign id is not kept
    }
    client.force_login(staff_user)
    campaigns = client.get("/admin/marketing/campaign/").content.decode()
    assert re.search(r'class="field-offer_uses[^"]*" data-label="usos de la oferta">2<', campaigns)
    redemptions = client.get("/admin/marketing/offerredemption/").content.decode()
    assert "Recuperar · 1. " in redemptions
    assert redemptions.count(">Noviembre<") == 2


def test_the_redemption_list_loads_in_the_same_number_of_queries_at_two_sizes(
    campaign, sequence, offer, client, staff_user
):
    client.force_login(staff_user)
    step = sequence.steps.first()
    counts = []
    for size in (2, 12):
        for n in range(OfferRedemption.objects.count(), size):
            OfferRedemption.objects.create(
                offer=offer, stripe_event_id=f"evt_{n}", redeemed_by=f"sub_{n}", at=NOW,
                campaign=campaign if n % 2 else None, step=None if n % 2 else step,
            )  # fmt: skip
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/admin/marketing/offerredemption/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_campaign_list_with_offers_and_uses_loads_in_constant_queries(
    campaign, offer, client, staff_user
):
    client.force_login(staff_user)
    counts = []
    for size in (1, 8):
        for n in range(Campaign.objects.count(), size):
            other = Campaign.objects.create(name=f"C{n}", offer=offer)
            OfferRedemption.objects.create(
                offer=offer, stripe_event_id=f"evt_{n}", redeemed_by=f"sub_{n}", at=NOW,
                campaign=other,
            )  # fmt: skip
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/admin/marketing/campaign/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
