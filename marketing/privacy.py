"""What marketing holds about a person: the lead, its consents, activity, tracking, the
uses of offers' codes, and the ad audiences it was synced to (asked to forget them on
erasure)."""

from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat, Lower

from courseops.messaging.models import OutboundMessage
from courseops.operations.privacy.redact import ERASED, scrub
from courseops.operations.privacy.registry import (
    CONSENT,
    ERASED_NAME,
    PrivacyPart,
    erased_email,
    register_part,
)
from courseops.operations.privacy.retention import retention_rule
from marketing.analytics.services import drop_for_leads
from marketing.audiences.services import forget_in_audiences
from marketing.crm.services import forget_in_hubspot
from marketing.models import Activity, Consent, Enrolment, Lead, TrackingEvent
from marketing.offers.models import OfferRedemption


class MarketingPart(PrivacyPart):
    name = "marketing"

    def _leads(self, person):
        # lower(email), as the unique index has it: found through the index.
        return Lead.objects.alias(email_ci=Lower("email")).filter(email_ci=person.email)

    def identify(self, person):
        for lead in self._leads(person):
            person.objects.append(lead)
            if lead.name:
                person.names.add(lead.name)
            if lead.phone:
                person.phones.add(lead.phone)

    def _redemptions(self, person, leads):
        return OfferRedemption.objects.filter(Q(email__iexact=person.email) | Q(lead__in=leads))

    def export(self, person):
        leads = self._leads(person)
        return {
            "leads": list(
                leads.values(
                    "email",
                    "name",
                    "phone",
                    "language",
                    "time_zone",
                    "country",
                    "stage",
                    "first_source",
                    "first_utm",
                    "last_source",
                    "last_utm",
                    "created_at",
                    "last_seen_at",
                    "ga_client_id",
                )
            ),
            "consents": list(
                Consent.objects.filter(lead__in=leads).values(
                    "purpose",
                    "status",
                    "source",
                    "text",
                    "ip",
                    "requested_at",
                    "granted_at",
                    "withdrawn_at",
                    "withdrawn_source",
                )
            ),
            "activity": list(
                Activity.objects.filter(lead__in=leads).values("action", "ref", "occurred_at")
            ),
            "tracking": list(
                TrackingEvent.objects.filter(recipient__lead__in=leads).values(
                    "recipient__campaign__name", "kind", "url", "at"
                )
            ),
            "offer_redemptions": list(
                self._redemptions(person, leads).values(
                    "offer__name", "offer__code", "email", "amount_discount", "currency", "at"
                )
            ),
        }

    def purposes(self, person):
        consents = Consent.objects.filter(lead__in=self._leads(person)).order_by("purpose")
        return [
            {
                "purpose": consent.get_purpose_display(),
                "basis": CONSENT,
                "status": consent.get_status_display(),
                "since": consent.withdrawn_at or consent.granted_at or consent.requested_at,
                "source": consent.withdrawn_source or consent.source,
            }
            for consent in consents
        ]

    def forget(self, person):
        """Ad platforms drop the person from every custom audience they were synced to;
        HubSpot deletes the contact (GDPR delete)."""
        return {
            **forget_in_audiences(leads=self._leads(person), email=person.email),
            **forget_in_hubspot(email=person.email),
        }

    def erase(self, person):
        leads = list(self._leads(person))
        consents = Consent.objects.filter(lead__in=leads).update(ip=None, confirmed_ip=None)
        tracking = TrackingEvent.objects.filter(recipient__lead__in=leads).update(user_agent="")
        activity = scrub(Activity.objects.filter(lead__in=leads), person, text_fields=("ref",))
        enrolments = Enrolment.objects.filter(lead__in=leads).update(personal_line="")
        # The use is kept for the offer's figures; only who it was goes.
        redemptions = self._redemptions(person, leads).update(email="")
        conversions = drop_for_leads(leads)
        for lead in leads:
            lead.email = erased_email("lead", lead.pk)
            lead.name = ERASED_NAME
            lead.phone = ""
            lead.country = ""
            lead.first_utm = {}
            lead.last_utm = {}
            lead.ga_client_id = ""
        Lead.objects.bulk_update(
            leads, ["email", "name", "phone", "country", "first_utm", "last_utm", "ga_client_id"]
        )
        return {
            "leads": len(leads),
            "consents": consents,
            "tracking_events": tracking,
            "activity": activity,
            "enrolments": enrolments,
            "offer_redemptions": redemptions,
            "ga4_conversions_dropped": conversions,
        }


register_part(MarketingPart())


@retention_rule("marketing.inactive_leads", "RETENTION_INACTIVE_LEAD_DAYS")
def anonymise_inactive_leads(cutoff):
    """Leads never seen since `cutoff` and never students become anonymous rows (campaign
    and conversion figures keep counting them), in one UPDATE per table."""
    leads = Lead.objects.filter(last_seen_at__lt=cutoff, student__isnull=True).exclude(
        email__startswith="borrado-"
    )
    Consent.objects.filter(lead__in=leads).update(ip=None, confirmed_ip=None)
    OutboundMessage.objects.filter(recipient__in=leads.values("email")).update(
        recipient=ERASED, person_key=ERASED, subject="", text_body="", html_body="", context={}
    )
    Enrolment.objects.filter(lead__in=leads).update(personal_line="")
    OfferRedemption.objects.filter(lead__in=leads).update(email="")
    return leads.update(
        email=Concat(Value("borrado-lead-"), Cast("pk", CharField()), Value("@erased.invalid")),
        name=ERASED_NAME,
        phone="",
        country="",
        first_utm={},
        last_utm={},
        ga_client_id="",
    )
