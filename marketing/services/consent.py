"""Consent per purpose: asked for, confirmed by a signed link (double opt-in), withdrawn
from the one-click unsubscribe, the preference page, SMS STOP or a complaint.

Withdrawals that start in the outbox (unsubscribe, complaint, STOP) arrive here through
`courseops.messaging.hooks.address_suppressed`; the suppression list stays the one place
that blocks sending, and the consent row keeps when and where it was withdrawn.
"""

from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courseops.audit.services import log_action
from courseops.core import pending
from courseops.messaging.models import Category, Suppression, SuppressionReason
from courseops.messaging.services import queue_email, unsuppress
from courseops.operations.fields import stored_blind_index
from marketing.models import PURPOSE_CHANNEL, Consent, Lead, LeadForm, Purpose

CONFIRM_SALT = "marketing.consent.confirm"
PREFERENCES_SALT = "marketing.preferences"
# A repeated sign-up within this time does not send a second confirmation email.
RESEND_CONFIRMATION_AFTER = timedelta(hours=24)
ANALYTICS_TEXT = _("Acepto que se mida mi visita, mi inscripción y mi compra con Google Analytics.")


def default_text(purpose):
    if purpose == Purpose.ANALYTICS:
        return str(ANALYTICS_TEXT)
    name = "newsletter_text" if purpose == Purpose.NEWSLETTER else "sms_text"
    return str(LeadForm._meta.get_field(name).default)


def request_consent(
    *, lead, purpose, source, text="", ip=None, double_opt_in=True, by_person=False, user=None
):
    """Record that `lead` agreed to `purpose` on `source` with `text` from `ip`.

    An existing valid consent is kept as it is (its first record is the proof). With
    double opt-in it stays pending until the emailed link is confirmed. A consent the
    person withdrew comes back only from the person (`by_person`: their preference page)
    or through the emailed confirmation, never from an import or an integration alone.
    """
    now = timezone.now()
    consent = Consent.objects.filter(lead=lead, purpose=purpose).first()
    if consent and consent.status == Consent.Status.GRANTED:
        return consent
    if consent and consent.status == Consent.Status.WITHDRAWN and not by_person:
        double_opt_in = True
    if (
        consent
        and double_opt_in
        and consent.status == Consent.Status.PENDING
        and consent.requested_at > now - RESEND_CONFIRMATION_AFTER
    ):
        return consent
    consent = consent or Consent(lead=lead, purpose=purpose)
    consent.status = Consent.Status.PENDING if double_opt_in else Consent.Status.GRANTED
    consent.source = source[:100]
    consent.text = text or default_text(purpose)
    consent.ip = ip
    consent.requested_at = now
    consent.granted_at = None if double_opt_in else now
    consent.confirmed_ip = None
    consent.withdrawn_at, consent.withdrawn_source = None, ""
    consent.save()
    log_action(
        consent,
        "marketing.consent.requested" if double_opt_in else "marketing.consent.granted",
        user=user,
        data={"purpose": purpose, "source": source, "ip": ip},
    )
    return consent


def confirm_token(lead):
    return signing.dumps({"l": lead.pk, "e": lead.email}, salt=CONFIRM_SALT, compress=True)


def preferences_token(lead):
    # No expiry: it is in every marketing email, like the unsubscribe link.
    return signing.dumps({"l": lead.pk, "e": lead.email}, salt=PREFERENCES_SALT, compress=True)


def _lead_from(token, *, salt, max_age=None):
    """The contact a token was made for, or None (tampered, expired, email changed)."""
    try:
        data = signing.loads(token, salt=salt, max_age=max_age)
    except signing.BadSignature:
        return None
    return Lead.objects.filter(pk=data.get("l"), email=data.get("e")).first()


def lead_from_confirm_token(token):
    return _lead_from(token, salt=CONFIRM_SALT, max_age=settings.MARKETING_CONFIRM_LINK_MAX_AGE)


def lead_from_preferences_token(token):
    return _lead_from(token, salt=PREFERENCES_SALT)


def confirm_url(lead):
    return _page_url("marketing:confirm", confirm_token(lead), lead)


def preferences_url(lead):
    return _page_url("marketing:preferences", preferences_token(lead), lead)


def _page_url(name, token, lead):
    # `lang` (unsigned, it only picks the words) lets even an expired link's page speak it.
    return f"{settings.SITE_URL}{reverse(name, args=[token])}?{urlencode({'lang': lead.language})}"


def send_confirmation(*, lead):
    """Email the double opt-in link for the contact's pending consents (once per request);
    the contact's mark goes unless it was marked again meanwhile."""
    seen = lead.confirmation_due_since
    message = _send_confirmation(lead)
    pending.done(lead, "confirmation_due_since", seen)
    return message


def _send_confirmation(lead):
    asked = list(lead.consents.filter(status=Consent.Status.PENDING).order_by("requested_at"))
    if not asked:
        return None
    latest = asked[-1].requested_at
    return queue_email(
        to=lead.email,
        # One email per round of requests: a retried task or a second call queues it once.
        idempotency_key=f"marketing.optin.{lead.pk}.{int(latest.timestamp())}",
        template="marketing/confirm_subscription",
        context={
            "name": lead.name.split()[0] if lead.name else "",
            "confirm_url": confirm_url(lead),
            # Lazy labels: rendered in the contact's language (get_purpose_display is not).
            "purposes": [Purpose(consent.purpose).label for consent in asked],
        },
        language=lead.language,
        category=Category.TRANSACTIONAL,  # asked for by the person; not marketing itself
        related=lead,
    )


def send_confirmation_on_commit(lead):
    from marketing.tasks import send_consent_confirmation

    if lead.consents.filter(status=Consent.Status.PENDING).exists():
        # The mark is the record (a sweeper finds it if the task is lost).
        pending.mark(Lead.objects.filter(pk=lead.pk), "confirmation_due_since")
        transaction.on_commit(lambda: send_consent_confirmation.delay(lead.pk))


def send_due_confirmations():
    """The sweeper: contacts whose confirmation email was not queued yet (a lost task)
    get it. Returns how many."""
    from marketing.tasks import send_consent_confirmation

    pks = pending.take_due(Lead.objects.all(), "confirmation_due_since")
    for pk in pks:
        send_consent_confirmation.delay(pk)
    return len(pks)


def confirm_consents(*, lead, ip=None):
    """The person clicked their link: pending consents become valid. An earlier
    unsubscribe is lifted, since this confirmation is newer and explicit."""
    now = timezone.now()
    confirmed = []
    with transaction.atomic():
        for consent in lead.consents.select_for_update().filter(status=Consent.Status.PENDING):
            consent.status, consent.granted_at, consent.confirmed_ip = (
                Consent.Status.GRANTED,
                now,
                ip,
            )
            consent.save(update_fields=["status", "granted_at", "confirmed_ip"])
            log_action(consent, "marketing.consent.confirmed", data={"ip": ip})
            confirmed.append(consent.purpose)
            _lift_unsubscribe(lead, consent.purpose, "double opt-in")
        if confirmed:
            from marketing.services.sequences import wake_for_consent  # imports this module

            wake_for_consent(lead=lead, purposes=confirmed, now=now)
    return confirmed


def _lift_unsubscribe(lead, purpose, source):
    channel = PURPOSE_CHANNEL.get(purpose)
    if channel is None:
        return
    address = lead.email if channel == "email" else lead.phone
    reason = SuppressionReason.UNSUBSCRIBED if channel == "email" else SuppressionReason.SMS_STOP
    # Only the person's own opt-out; bounces and complaints stay for staff to judge.
    if (
        address
        and Suppression.objects.filter(channel=channel, address=address, reason=reason).exists()
    ):
        unsuppress(channel=channel, address=address, source=source)


def grant_from_preferences(*, lead, purpose, ip=None):
    consent = request_consent(
        lead=lead,
        purpose=purpose,
        source="preference page",
        ip=ip,
        double_opt_in=False,
        by_person=True,
    )
    _lift_unsubscribe(lead, purpose, "preference page")
    from marketing.services.sequences import wake_for_consent  # sequences import this module

    wake_for_consent(lead=lead, purposes=[purpose])
    return consent


def withdraw_consent(*, lead, purpose, source, user=None):
    """Returns whether a consent was withdrawn (False if there was none in force)."""
    now = timezone.now()
    updated = Consent.objects.filter(
        lead=lead,
        purpose=purpose,
        status__in=(Consent.Status.GRANTED, Consent.Status.PENDING),
    ).update(status=Consent.Status.WITHDRAWN, withdrawn_at=now, withdrawn_source=source[:100])
    if updated:
        log_action(
            lead,
            "marketing.consent.withdrawn",
            user=user,
            data={"purpose": purpose, "source": source},
        )
        from marketing.crm.services import request_contact_sync

        request_contact_sync(lead.email)  # what HubSpot holds shrinks with the consent
        if purpose == Purpose.ANALYTICS:
            from marketing.analytics.services import drop_for_leads

            drop_for_leads([lead])
    return bool(updated)


# What the outbox's suppression reasons mean for consent. A bounce says nothing about
# what the person wants, so it withdraws nothing (the suppression still blocks sending).
WITHDRAWING = {
    ("email", SuppressionReason.UNSUBSCRIBED): Purpose.NEWSLETTER,
    ("email", SuppressionReason.COMPLAINED): Purpose.NEWSLETTER,
    ("sms", SuppressionReason.SMS_STOP): Purpose.MARKETING_SMS,
}


def withdraw_for_suppressed_address(*, channel, address, reason, source):
    purpose = WITHDRAWING.get((channel, reason))
    if purpose is None:
        return 0
    leads = Lead.objects.filter(**{"email" if channel == "email" else "phone": address})
    return sum(
        withdraw_consent(lead=lead, purpose=purpose, source=f"{reason}: {source}"[:100])
        for lead in leads
    )


def valid_consent(purpose):
    """A condition on contacts: a granted consent for `purpose` and the address not on
    the suppression list. One subquery each, usable in any contact query."""
    channel = PURPOSE_CHANNEL.get(purpose)
    granted = Consent.objects.filter(
        lead=OuterRef("pk"), purpose=purpose, status=Consent.Status.GRANTED
    )
    if channel is None:
        return Q(Exists(granted))
    if channel == "sms":
        # The phone is encrypted: match the suppression's hash with the column's hash.
        suppressed = Suppression.objects.filter(
            channel=channel, address_index=stored_blind_index(OuterRef("phone"))
        )
        return Q(Exists(granted)) & ~Q(phone="") & ~Q(Exists(suppressed))
    suppressed = Suppression.objects.filter(channel=channel, address=OuterRef("email"))
    return Q(Exists(granted)) & ~Q(Exists(suppressed))
