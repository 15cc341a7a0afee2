"""The uses of offers' codes are personal data: exported with the rest, and erased (the
use stays for the offer's figures, without who it was)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from courseops.operations.privacy.services import erase_person, export_data
from marketing.models import Lead
from marketing.offers.models import Offer, OfferRedemption

pytestmark = pytest.mark.django_db

AT = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)


@pytest.fixture
def redemptions(db):
    offer = Offer.objects.create(name="Vuelta", percent_off=Decimal("25"), code="VUELTA25")
    lead = Lead.objects.create(email="marta@example.com", first_source="api", last_source="api")
    mine = [
        OfferRedemption.objects.create(
            offer=offer, stripe_event_id="evt_1", redeemed_by="sub_1", email="marta@example.com",
            lead=lead, amount_discount=725, currency="USD", at=AT,
        ),
        # Paid as MARTA@... before she was a contact: found by email alone.
        OfferRedemption.objects.create(
            offer=offer, stripe_event_id="evt_2", redeemed_by="sub_2", email="MARTA@example.com",
            amount_discount=725, currency="USD", at=AT,
        ),
    ]  # fmt: skip
    other = OfferRedemption.objects.create(
        offer=offer, stripe_event_id="evt_3", redeemed_by="sub_3", email="otro@example.com", at=AT
    )
    return mine, other


def test_the_persons_offer_uses_are_exported(redemptions):
    data = export_data("marta@example.com")

    rows = data["marketing.offer_redemptions"]
    assert sorted(row["email"] for row in rows) == ["MARTA@example.com", "marta@example.com"]
    assert {(row["offer__code"], row["amount_discount"]) for row in rows} == {("VUELTA25", 725)}


def test_erasure_keeps_the_uses_without_who_made_them(redemptions):
    (first, second), other = redemptions

    erasure = erase_person("marta@example.com")

    assert erasure.touched["marketing.offer_redemptions"] == 2
    assert OfferRedemption.objects.count() == 3
    for redemption in (first, second):
        redemption.refresh_from_db()
        assert (redemption.email, redemption.amount_discount) == ("", 725)
    other.refresh_from_db()
    assert other.email == "otro@example.com"
