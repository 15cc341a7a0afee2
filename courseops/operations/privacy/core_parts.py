"""The core apps' share of a person: messages, drafts, webhook events, audit, tickets, AI.

None of them has a "person" column: a row is the person's when its recipient is their
address, when it is about one of their objects, or when its text mentions them.
"""

from django.db.models import Q
from django.utils.translation import gettext as _

from courseops.ai.models import AIUsage
from courseops.audit.models import AuditEntry
from courseops.messaging.hooks import address_key, find_person
from courseops.messaging.models import (
    AT_REST,
    PENDING,
    OutboundMessage,
    PushSubscription,
    Status,
    Suppression,
)
from courseops.operations.encryption import blind_index
from courseops.operations.privacy.redact import ERASED, mentions, related_to, scrub
from courseops.operations.privacy.registry import PrivacyPart, register_part
from courseops.reviews.held import KIND as HELD_KIND
from courseops.reviews.held import WAITING
from courseops.reviews.models import Draft, DraftStatus
from courseops.support.models import Ticket
from courseops.webhooks.models import AT_REST as WEBHOOKS_AT_REST
from courseops.webhooks.models import IN_FLIGHT as WEBHOOKS_IN_FLIGHT
from courseops.webhooks.models import WebhookEvent


def _addresses(person):
    return Q(recipient__iexact=person.email) | Q(recipient__in=sorted(person.phones))


def _suppressed(person):
    # Numbers by their keyed hash: the indexed column.
    phones = sorted(blind_index(phone) for phone in person.phones)
    return Q(address__iexact=person.email) | Q(address_index__in=phones)


class MessagingPart(PrivacyPart):
    name = "messaging"
    TEXT = ("recipient", "subject", "text_body", "html_body", "person_key", "idempotency_key")
    JSON = ("context", "headers", "attachments")
    # Searched apart (redact.scrub): the outbox's text indexes hold only the rows at rest
    # (messaging.models.AT_REST); the few in flight are read through the sweeper's partial
    # indexes, one OR arm each (the planner matches a partial index to an arm that implies
    # its predicate, not to one `status IN` of the three), and their text searched there.
    WITHIN = (Q(status__in=AT_REST), Q(status__in=PENDING) | Q(status=Status.SENDING))

    def _theirs(self, person):
        return _addresses(person) | related_to(person)

    def export(self, person):
        messages = OutboundMessage.objects.filter(self._theirs(person)).order_by("created_at")
        return {
            "messages": list(
                messages.values(
                    "created_at",
                    "channel",
                    "category",
                    "recipient",
                    "subject",
                    "status",
                    "sent_at",
                    "text_body",
                )
            ),
            "suppressions": list(
                Suppression.objects.filter(_suppressed(person)).values(
                    "channel", "address", "reason", "created_at"
                )
            ),
            # The browsers they turned notifications on in; never the endpoint or keys
            # (credentials to write to that browser).
            "push_subscriptions": list(
                PushSubscription.objects.filter(address__iexact=person.email).values(
                    "browser", "created_at", "last_sent_at"
                )
            ),
        }

    def erase(self, person):
        theirs = self._theirs(person)
        # Nothing still waiting goes out to an erased person, held for review included
        # (its draft is withdrawn with the reviews' share).
        OutboundMessage.objects.filter(theirs, status__in=(*PENDING, Status.HELD)).update(
            status=Status.CANCELED
        )
        # Their own messages lose every body; others that mention them are redacted.
        blanked = OutboundMessage.objects.filter(theirs).update(
            recipient=ERASED,
            subject="",
            text_body="",
            html_body="",
            person_key=ERASED,
            context={},
            headers={},
            attachments=[],
        )
        mentioned = scrub(
            OutboundMessage.objects.all(),
            person,
            text_fields=self.TEXT,
            json_fields=self.JSON,
            within=self.WITHIN,
        )
        suppressions, _ = Suppression.objects.filter(_suppressed(person)).delete()
        browsers, _ = PushSubscription.objects.filter(address__iexact=person.email).delete()
        return {
            "messages": blanked + mentioned,
            "suppressions": suppressions,
            "push_subscriptions": browsers,
        }


class ReviewsPart(PrivacyPart):
    name = "reviews"
    TEXT = (
        "target_repr",
        "recipient",
        "generated_subject",
        "generated_body",
        "subject",
        "body",
        "decision_note",
        "last_error",
    )
    JSON = ("generated_data", "data", "context")

    def export(self, person):
        drafts = Draft.objects.filter(Q(recipient__iexact=person.email) | related_to(person))
        return {"drafts": list(drafts.values("created_at", "kind", "status", "subject", "body"))}

    @staticmethod
    def person_keys(person):
        """The keys a draft names its person by (for its rollout arm): the outbox's."""
        email = person.email.strip().lower()
        return sorted(
            {email, address_key("email", email), find_person(channel="email", address=email).key}
        )

    def erase(self, person):
        theirs = (
            Q(recipient__iexact=person.email)
            | related_to(person)
            | Q(person_key__in=self.person_keys(person))
        )
        # A held message's draft waiting for staff must not be approved any more.
        Draft.objects.filter(theirs, kind=HELD_KIND, status__in=WAITING).update(
            status=DraftStatus.WITHDRAWN, last_error=_("La persona pidió borrar sus datos.")
        )
        blanked = Draft.objects.filter(theirs).update(
            recipient="",
            person_key=ERASED,
            target_repr=ERASED,
            generated_subject="",
            generated_body="",
            subject="",
            body="",
            generated_data={},
            data={},
            context={},
        )
        return {
            "drafts": blanked
            + scrub(Draft.objects.all(), person, text_fields=self.TEXT, json_fields=self.JSON)
        }


class WebhooksPart(PrivacyPart):
    """Raw payloads are kept for replay; one that mentions the person loses its body."""

    name = "webhooks"
    # Searched apart, as the outbox is (MessagingPart.WITHIN): the text indexes hold only
    # the events at rest; the few in flight are read through the sweeper's index.
    WITHIN = (Q(status__in=WEBHOOKS_AT_REST), Q(status__in=WEBHOOKS_IN_FLIGHT))

    @staticmethod
    def search(person):
        return mentions(("body", "last_error"), person, json_fields=("payload", "headers"))

    def erase(self, person):
        condition = self.search(person)
        found = [
            pk
            for part in self.WITHIN
            for pk in WebhookEvent.objects.filter(part & condition).values_list("pk", flat=True)
        ]
        touched = WebhookEvent.objects.filter(pk__in=found).update(
            body="", payload={"erased": True}, headers={}, last_error=""
        )
        return {"webhook_events": touched}


class AuditPart(PrivacyPart):
    name = "audit"

    def export(self, person):
        entries = AuditEntry.objects.filter(related_to(person))
        return {"audit": list(entries.values("created_at", "action", "data"))}

    def erase(self, person):
        return {
            "audit_entries": scrub(
                AuditEntry.objects.all(),
                person,
                text_fields=("object_repr",),
                json_fields=("data",),
            )
        }


class SupportPart(PrivacyPart):
    name = "support"

    def export(self, person):
        tickets = Ticket.objects.filter(related_to(person))
        return {"tickets": list(tickets.values("created_at", "kind", "status", "subject"))}

    def erase(self, person):
        return {
            "tickets": scrub(
                Ticket.objects.all(),
                person,
                text_fields=("subject", "description", "key"),
                extra=related_to(person),
            )
        }


class AIPart(PrivacyPart):
    """Prompts are not stored; a usage row only names who asked, and errors may quote."""

    name = "ai"

    def erase(self, person):
        return {
            "ai_usage": scrub(AIUsage.objects.all(), person, text_fields=("requested_by", "error"))
        }


class AdminLogPart(PrivacyPart):
    """Django's own admin history names whoever staff edited ("Ana <ana@…>")."""

    name = "admin_log"

    def erase(self, person):
        from django.contrib.admin.models import LogEntry

        return {
            "admin_log": scrub(
                LogEntry.objects.all(),
                person,
                text_fields=("object_repr", "change_message"),
                extra=related_to(person),
            )
        }


for part in (
    MessagingPart,
    ReviewsPart,
    WebhooksPart,
    AuditPart,
    SupportPart,
    AIPart,
    AdminLogPart,
):
    register_part(part())
