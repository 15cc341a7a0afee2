"""Offers: the AI drafts the text for a segment, staff approve it (review kind `offer`),
approval creates the Stripe coupon and promotion code; redemptions are read from the
Stripe events the webhook inbox stored (students' handlers own those event types, so
marketing reads them afterwards instead of handling them a second time)."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courseops.ai import generate
from courseops.audit.services import log_action
from courseops.reviews.registry import ApplyError
from courseops.reviews.services import create_draft
from courseops.webhooks.models import WebhookEvent
from marketing.landing.models import LandingPage
from marketing.models import Campaign, Step
from marketing.offers.models import InboxCursor, Offer, OfferRedemption
from marketing.services.leads import find_lead
from students.billing.client import BillingError, call, get_client
from students.models import Plan, Student

REDEMPTION_EVENTS = ("checkout.session.completed", "invoice.paid")
SCAN_BATCH = 500
# Events younger than this are left for the next scan: a transaction that took a lower id
# may not have committed yet.
SETTLE = timedelta(seconds=30)


def draft_offer(*, offer, user=None, language="es"):
    """AI text for the offer (for its segment, with its discount and code) to review."""
    plans = Plan.objects.filter(active=True).exclude(stripe_price_id="").order_by("sort_order")
    result = generate(
        "offer",
        {
            "segment": offer.segment.name if offer.segment else "",
            "segment_description": offer.segment.description if offer.segment else "",
            "discount": str(offer.discount_label()),
            "code": offer.code,
            "expires": offer.expires_at.date().isoformat() if offer.expires_at else "",
            "plans": [f"{plan.name} ({plan.price} {plan.currency})" for plan in plans],
        },
        language=language,
        requested_by="marketing.offer",
        user=user,
    )
    return create_draft(
        kind="offer",
        target=offer,
        subject=result.data["headline"][:200],
        body=result.data["text"].strip(),
        ai_result=result,
    )


def _cents(amount):
    return int((amount * 100).to_integral_value())


def _coupon_params(offer):
    params = {"duration": offer.duration, "name": offer.name[:40], "metadata": {"offer": offer.pk}}
    if offer.percent_off is not None:
        params["percent_off"] = float(offer.percent_off)
    else:
        params["amount_off"] = _cents(offer.amount_off)
        params["currency"] = offer.currency.lower()
    if offer.duration == Offer.Duration.REPEATING:
        params["duration_in_months"] = offer.duration_in_months
    return params


def _promotion_params(offer):
    params = {
        "promotion": {"type": "coupon", "coupon": offer.stripe_coupon_id},
        "code": offer.code,
        "metadata": {"offer": offer.pk},
    }
    if offer.max_redemptions:
        params["max_redemptions"] = offer.max_redemptions
    if offer.expires_at:
        params["expires_at"] = int(offer.expires_at.timestamp())
    return params


def activate_offer(*, offer):
    """Create the coupon, then the promotion code, each once (ids kept; Stripe idempotency
    keys cover a crash between Stripe's answer and our save)."""
    try:
        client = get_client()
        if not offer.stripe_coupon_id:
            coupon = call(
                client.v1.coupons.create,
                params=_coupon_params(offer),
                options={"idempotency_key": f"offer-{offer.pk}-coupon"},
            )
            offer.stripe_coupon_id = coupon.id
            offer.save(update_fields=["stripe_coupon_id"])
        if not offer.stripe_promotion_code_id:
            promotion = call(
                client.v1.promotion_codes.create,
                params=_promotion_params(offer),
                options={"idempotency_key": f"offer-{offer.pk}-promotion-code"},
            )
            offer.stripe_promotion_code_id = promotion.id
            offer.save(update_fields=["stripe_promotion_code_id"])
    except BillingError as exc:
        raise ApplyError(str(exc), permanent=exc.permanent) from exc
    offer.status = Offer.Status.ACTIVE
    offer.save(update_fields=["status"])
    return offer


def offer_apply(draft, user):
    """Approval: the reviewed text becomes the offer's, and its code goes live in Stripe."""
    offer = Offer.objects.filter(pk=draft.object_id).first()
    if offer is None:
        raise ApplyError(_("La oferta ya no existe."), permanent=True)
    offer.headline, offer.text = draft.subject[:200], draft.body
    offer.save(update_fields=["headline", "text"])
    activate_offer(offer=offer)
    log_action(offer, "marketing.offer.activated", user=user, data={"draft": draft.pk})


def withdraw_offer(*, offer, user=None):
    """End the offer: our links and pages stop applying it at once, and its promotion code
    is deactivated in Stripe so a typed code stops working too. Returns the Stripe error
    when Stripe could not be told ("" when it was): staff retry then."""
    Offer.objects.filter(pk=offer.pk).update(status=Offer.Status.ENDED)
    offer.status = Offer.Status.ENDED
    error = ""
    if offer.stripe_promotion_code_id:
        try:
            call(
                get_client().v1.promotion_codes.update,
                offer.stripe_promotion_code_id,
                params={"active": False},
            )
        except BillingError as exc:
            error = str(exc)
    log_action(offer, "marketing.offer.withdrawn", user=user, data={"stripe_error": error})
    return error


# --- Redemptions ----------------------------------------------------------------------


def _discount_refs(obj):
    """(promotion code ids, coupon ids) a Checkout Session or an Invoice carries."""
    discounts = list(obj.get("discounts") or [])
    if obj.get("discount"):
        discounts.append(obj["discount"])
    promotions, coupons = set(), set()
    for discount in discounts:
        if not isinstance(discount, dict):
            continue  # an unexpanded "di_..." id names neither
        promotion = discount.get("promotion_code")
        promotions.add(promotion.get("id") if isinstance(promotion, dict) else promotion)
        coupon = discount.get("coupon") or (discount.get("source") or {}).get("coupon")
        coupons.add(coupon.get("id") if isinstance(coupon, dict) else coupon)
    return promotions - {None, ""}, coupons - {None, ""}


def _amount_discount(obj):
    if obj.get("object") == "invoice":
        return sum(item.get("amount", 0) for item in obj.get("total_discount_amounts") or [])
    return (obj.get("total_details") or {}).get("amount_discount") or 0


def _redeemed_by(obj):
    subscription = obj.get("subscription")
    if isinstance(subscription, dict):
        subscription = subscription.get("id")
    return str(subscription or obj.get("id", ""))


def _email(obj):
    details = obj.get("customer_details") or {}
    return (details.get("email") or obj.get("customer_email") or "").strip().lower()


def record_redemptions(*, now=None):
    """Read the Stripe events stored since the last scan and record each use of an
    offer's code once (per event). Returns the redemptions made."""
    now = now or timezone.now()
    cursor, _created = InboxCursor.objects.get_or_create(name="offers.stripe")
    events = list(
        WebhookEvent.objects.filter(
            provider="stripe",
            pk__gt=cursor.position,
            received_at__lte=now - SETTLE,
        )
        .order_by("pk")
        .values("pk", "event_id", "event_type", "payload")[:SCAN_BATCH]
    )
    if not events:
        return []
    found = []
    for event in events:
        if event["event_type"] not in REDEMPTION_EVENTS:
            continue
        obj = (event["payload"].get("data") or {}).get("object") or {}
        promotions, coupons = _discount_refs(obj)
        if promotions or coupons:
            found.append((event, obj, promotions, coupons))
    offers = _offers_for(found)
    made = []
    for event, obj, promotions, coupons in found:
        offer = next(
            (offers[ref] for ref in (*sorted(promotions), *sorted(coupons)) if ref in offers), None
        )
        if offer is not None:
            made += _redeem(offer, event, obj, now)
    cursor.position = events[-1]["pk"]
    cursor.save(update_fields=["position"])
    return made


def _offers_for(found):
    promotions = set().union(*(p for _e, _o, p, _c in found)) if found else set()
    coupons = set().union(*(c for _e, _o, _p, c in found)) if found else set()
    offers = {}
    for offer in Offer.objects.filter(stripe_promotion_code_id__in=promotions):
        offers[offer.stripe_promotion_code_id] = offer
    for offer in Offer.objects.filter(stripe_coupon_id__in=coupons):
        offers.setdefault(offer.stripe_coupon_id, offer)
    return offers


def _source(obj):
    """{"campaign_id", "step_id", "landing_page_id"} named by a Checkout Session's metadata
    (set by a personal offer link or a landing page) that still exist; {} for an invoice
    or a typed code."""
    metadata = obj.get("metadata") or {}
    ids = {
        "campaign_id": (Campaign, str(metadata.get("campaign") or "")),
        "step_id": (Step, str(metadata.get("step") or "")),
        "landing_page_id": (LandingPage, str(metadata.get("landing") or "")),
    }
    return {
        field: int(value)
        for field, (model, value) in ids.items()
        if value.isdigit() and model.objects.filter(pk=int(value)).exists()
    }


def _redeem(offer, event, obj, now):
    email = _email(obj)
    source = _source(obj)
    redeemed_by = _redeemed_by(obj)
    try:
        with transaction.atomic():
            redemption = OfferRedemption.objects.create(
                offer=offer,
                stripe_event_id=event["event_id"],
                redeemed_by=redeemed_by,
                email=email,
                student=Student.objects.filter(email__iexact=email).first() if email else None,
                lead=find_lead(email) if email else None,
                amount_discount=_amount_discount(obj),
                currency=str(obj.get("currency") or "").upper(),
                at=now,
                **source,
            )
    except IntegrityError:
        # Counted before (this event again, or the same subscription's other one). When
        # the invoice came first, its checkout still says what sent the buyer.
        if source:
            OfferRedemption.objects.filter(
                offer=offer, redeemed_by=redeemed_by, campaign=None, step=None, landing_page=None
            ).update(**source)
        return []
    log_action(offer, "marketing.offer.redeemed", data={"event": event["event_id"], **source})
    return [redemption]
