"""What a landing page does with a visit and a sign-up. The contact is made by marketing's
`capture_lead` (the same door as the API and CSV), so consent, double opt-in, tags and
sequences work as for any form."""

import random

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from marketing.landing.models import LandingSignup, LandingView
from marketing.models import Action
from marketing.offers.checkout import attribution, offer_checkout, unavailable_reason
from marketing.services.consent import ANALYTICS_TEXT
from marketing.services.leads import capture_lead
from marketing.services.scoring import record_action
from students.billing.services import create_checkout_session

THANKS_SALT = "marketing.landing.thanks"
THANKS_MAX_AGE = 24 * 3600


def pick_variant(page, remembered=None):
    """The headline a visitor sees: the one they saw before, else one at random."""
    count = len(page.headlines())
    if remembered is not None and 0 <= remembered < count:
        return remembered
    return random.randrange(count)  # noqa: S311  (an A/B split, not a secret)


def record_view(*, page, variant, utm):
    return LandingView.objects.create(
        page=page,
        variant=variant,
        utm_source=utm.get("utm_source", "")[:100],
        utm_campaign=utm.get("utm_campaign", "")[:100],
        at=timezone.now(),
    )


def sign_up(*, page, data, variant=0, referrer="", ip=None):
    """Make or update the contact from the form; record the sign-up and the visit score.

    `data`: email, name, phone, consent (bool) and the utm_* values. The consent text
    recorded is the page's form's, exactly as shown next to the checkbox.
    """
    utm = {key: value for key, value in data.items() if key.startswith("utm_") and value}
    with transaction.atomic():
        result = capture_lead(
            data={
                **data,
                "language": page.language,
                "consent_text": page.form.newsletter_text,
                "analytics_consent_text": str(ANALYTICS_TEXT),
                "referrer": referrer,
            },
            source="landing",
            form=page.form,
            ip=ip,
        )
        if result.lead is None:
            return result
        try:
            with transaction.atomic():
                LandingSignup.objects.create(
                    page=page,
                    lead=result.lead,
                    variant=variant,
                    utm=utm,
                    referrer=referrer[:300],
                    at=timezone.now(),
                )
        except IntegrityError:
            pass  # signed up on this page before: the first sign-up is the one counted
        record_action(lead=result.lead, action=Action.VISITED_LANDING, ref=f"landing:{page.pk}")
    return result


def thanks_token(page, lead):
    return signing.dumps({"p": page.pk, "l": lead.pk}, salt=THANKS_SALT)


def lead_from_thanks_token(page, token):
    try:
        data = signing.loads(token, salt=THANKS_SALT, max_age=THANKS_MAX_AGE)
    except signing.BadSignature:
        return None
    if data.get("p") != page.pk:
        return None
    return page.signups.select_related("lead").filter(lead_id=data.get("l")).first()


def offer_state(page):
    """(the page's offer, why it cannot be applied now or "")."""
    if page.offer is None:
        return None, ""
    return page.offer, unavailable_reason(page.offer)


def start_checkout(*, page, lead, plain=False):
    """The plan's Stripe Checkout URL for this contact, with the page's offer applied
    while it can be (`plain`: the normal price, asked for after an offer was refused).
    The students app announces the checkout, which scores it once per session: see
    `marketing.signals`. Raises OfferRefused when Stripe refuses the offer's code."""
    offer, reason = offer_state(page)
    if offer is None or reason or plain:
        return create_checkout_session(plan=page.plan, email=lead.email)
    return offer_checkout(
        plan=page.plan,
        email=lead.email,
        offer=offer,
        metadata=attribution(offer=offer, landing_id=page.pk),
    )
