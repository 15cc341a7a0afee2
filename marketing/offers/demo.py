"""A demo offer for the webinar-attendee segment with its AI text waiting for review
(approving it needs Stripe: with STRIPE_SECRET_KEY unset the draft fails with that
reason, and can be retried once Stripe is configured)."""

from decimal import Decimal

from marketing.models import Segment
from marketing.offers.models import Offer
from marketing.offers.services import draft_offer


def load_offers_demo(*, staff):
    if Offer.objects.filter(code="IADEMO20").exists():
        return
    offer = Offer.objects.create(
        name="Descuento para indecisos (demo)",
        segment=Segment.objects.filter(name__startswith="Interesados en IA").first(),
        percent_off=Decimal("20"),
        duration=Offer.Duration.REPEATING,
        duration_in_months=2,
        code="IADEMO20",
        max_redemptions=50,
    )
    draft_offer(offer=offer, user=staff)
