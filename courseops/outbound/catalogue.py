"""The event catalogue: every event type an endpoint may subscribe to, with the JSON
Schema (2020-12) of its `data` and an example. Apps register their own events in a
`webhook_events.py` module (imported at start-up by this app's `ready()`):

    from courseops.outbound.catalogue import EventType, register_event

    register_event(EventType(
        name="lead.created",
        label=gettext_lazy("Nuevo lead"),
        schema={...},    # JSON Schema of `data`
        example={...},   # a `data` that satisfies it
    ))

Payloads carry ids and public fields only: never credentials, personal links or tokens.
"""

from dataclasses import dataclass
from datetime import UTC

import jsonschema


@dataclass(frozen=True)
class EventType:
    name: str
    label: str
    schema: dict
    example: dict
    description: str = ""

    def validator(self):
        return jsonschema.Draft202012Validator(self.schema)

    def errors(self, data) -> list[str]:
        """What is wrong with `data` against the schema ([] when it conforms)."""
        return [
            f"{'.'.join(str(part) for part in error.absolute_path) or '(data)'}: {error.message}"
            for error in self.validator().iter_errors(data)
        ]


_EVENTS: dict[str, EventType] = {}


def register_event(event_type: EventType) -> EventType:
    jsonschema.Draft202012Validator.check_schema(event_type.schema)
    existing = _EVENTS.get(event_type.name)
    if existing is not None and existing != event_type:
        raise ValueError(f"Webhook event {event_type.name!r} is already registered.")
    _EVENTS[event_type.name] = event_type
    return event_type


def event_types() -> dict[str, EventType]:
    """Every registered event, by name, in name order."""
    return dict(sorted(_EVENTS.items()))


def get_event_type(name: str) -> EventType | None:
    return _EVENTS.get(name)


def choices():
    return [(name, f"{name} — {event.label}") for name, event in event_types().items()]


# Shared pieces for the apps' schemas.
def obj(properties: dict, *, required=None) -> dict:
    """An object schema whose listed properties are all required unless told otherwise,
    and nothing else allowed (so a field added by mistake fails the catalogue test)."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else list(required),
        "additionalProperties": False,
    }


ID = {"type": "integer", "minimum": 1}
TEXT = {"type": "string"}
DATETIME = {"type": "string", "format": "date-time"}
NULLABLE_DATETIME = {"type": ["string", "null"], "format": "date-time"}
INTEGER = {"type": "integer"}
NULLABLE_ID = {"type": ["integer", "null"], "minimum": 1}


def iso(value):
    """A datetime as the payloads write it (UTC, ISO 8601 with Z), or None."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
