"""An approved offer at Stripe Checkout: its promotion code applied up front (from a
landing page that promotes it, or a contact's personal link from a campaign or sequence
step), with who sent the buyer kept in the session's metadata for the redemption.

An offer that can no longer be used (withdrawn, expired, used up, or refused by Stripe)
never blocks a purchase: the buyer is told why and can pay the normal price."""

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.offers.models import Offer
from students.billing.client import BillingError
from students.billing.services import create_checkout_session

PERSONAL_LINK_SALT = "marketing.offers.personal-link"


class OfferRefused(Exception):
    """Stripe would not apply the offer's code (it ended there before it did here)."""


def unavailable_reason(offer, *, now=None):
    """Why `offer` cannot be applied now ("" when it can). Uses count as recorded from
    Stripe's events (a few minutes behind): Stripe itself refuses a code used up since."""
    now = now or timezone.now()
    if offer.status != Offer.Status.ACTIVE or not offer.stripe_promotion_code_id:
        return _("Esta oferta ya no está disponible.")
    if offer.expires_at and offer.expires_at <= now:
        return _("Esta oferta caducó el %(date)s.") % {"date": offer.expires_at.date().isoformat()}
    if offer.max_redemptions and offer.redemptions.count() >= offer.max_redemptions:
        return _("Esta oferta ya se ha agotado.")
    return ""


def attribution(*, offer, campaign_id=None, step_id=None, landing_id=None):
    """The Checkout Session metadata that names the offer and what sent the buyer."""
    values = {"offer": offer.pk, "campaign": campaign_id, "step": step_id, "landing": landing_id}
    return {key: str(value) for key, value in values.items() if value}


def personal_link(*, offer, lead, campaign_id=None, step_id=None):
    """The contact's own signed link to the offer (`/o/<token>/`); it works while the
    offer does."""
    token = signing.dumps(
        {"o": offer.pk, "l": lead.pk, "c": campaign_id, "s": step_id},
        salt=PERSONAL_LINK_SALT,
        compress=True,
    )
    return settings.SITE_URL + reverse("offers:personal", args=[token])


def read_personal_link(token):
    """{"o", "l", "c", "s"} of a personal link's token, or None if forged."""
    try:
        return signing.loads(token, salt=PERSONAL_LINK_SALT)
    except signing.BadSignature:
        return None


def offer_checkout(*, plan, email, offer, metadata):
    """Checkout for `plan` with the offer's code applied. Raises OfferRefused when Stripe
    refuses the code (the caller offers the normal price), BillingError otherwise."""
    try:
        return create_checkout_session(
            plan=plan,
            email=email,
            promotion_code=offer.stripe_promotion_code_id,
            metadata=metadata,
        )
    except BillingError as exc:
        # Stripe answered no for good, and not about the plan or our configuration.
        if exc.permanent and exc.code != "plan_unavailable" and settings.STRIPE_SECRET_KEY:
            raise OfferRefused(str(exc)) from exc
        raise


def live_offer(offer, *, now=None):
    """`offer` if it can be applied now, else None (an email never promotes a dead one)."""
    return offer if offer is not None and not unavailable_reason(offer, now=now) else None


def offer_for_message(offer, *, url):
    """What an email shows of the offer, with the contact's own link."""
    return {
        "headline": offer.headline or offer.name,
        "text": offer.text,
        "code": offer.code,
        "discount": str(offer.discount_label()),
        "expires_at": offer.expires_at,
        "url": url,
    }
