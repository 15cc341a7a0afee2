"""An erased person's events: what was still to be sent is dropped, and every event about
them loses its content."""

from courseops.operations.privacy.registry import PrivacyPart, register_part
from courseops.outbound.models import Delivery, Event
from courseops.outbound.services.announce import person_index

PENDING = (Delivery.Status.PENDING, Delivery.Status.RETRYING, Delivery.Status.SENDING)


class OutboundWebhooksPart(PrivacyPart):
    name = "outbound"

    def _events(self, person):
        return Event.objects.filter(person_index=person_index(person.email))

    def export(self, person):
        return {
            "events": list(
                self._events(person).order_by("created_at").values("event_type", "created_at")
            )
        }

    def erase(self, person):
        events = self._events(person)
        dropped = Delivery.objects.filter(event__in=events, status__in=PENDING).update(
            status=Delivery.Status.DROPPED, next_attempt_at=None, held_by=""
        )
        blanked = events.update(payload={}, person_index="")
        return {"deliveries_dropped": dropped, "events": blanked}


register_part(OutboundWebhooksPart())
