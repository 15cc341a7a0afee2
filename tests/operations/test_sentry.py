import pytest
import sentry_sdk
from sentry_sdk.transport import Transport

from courseops.operations.sentry import FILTERED, init_sentry, scrub_event, scrub_text


def test_emails_and_phone_numbers_are_scrubbed_from_text():
    text = "Alta fallida de ana.perez+curso@example.com.mx, tel. +52 55 1234 5678 el 2026-11-25"
    assert scrub_text(text) == f"Alta fallida de {FILTERED}, tel. {FILTERED} el 2026-11-25"
    assert scrub_text("pedido 12345 a las 12:30") == "pedido 12345 a las 12:30"


def test_personal_keys_and_nested_values_are_scrubbed():
    event = {
        "message": "no se pudo enviar a eva@example.com",
        "extra": {"student_email": "eva@example.com", "plan": "pro", "attempt": 3},
        "exception": {
            "values": [
                {
                    "stacktrace": {
                        "frames": [
                            {
                                "vars": {
                                    "phone": "+34600111222",
                                    "args": ["+525512345678", "ok"],
                                    "full_name": "Eva Ruiz",
                                }
                            }
                        ]
                    }
                }
            ]
        },
    }
    scrubbed = scrub_event(event)
    assert scrubbed["message"] == f"no se pudo enviar a {FILTERED}"
    assert scrubbed["extra"] == {"student_email": FILTERED, "plan": "pro", "attempt": 3}
    frame_vars = scrubbed["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"]
    assert frame_vars == {"phone": FILTERED, "args": [FILTERED, "ok"], "full_name": FILTERED}


class CapturingTransport(Transport):
    envelopes = []

    def capture_envelope(self, envelope):
        self.envelopes.append(envelope)


@pytest.fixture
def sentry_events():
    CapturingTransport.envelopes = []
    init_sentry(
        dsn="https://public@sentry.example.com/1",
        environment="test",
        transport=CapturingTransport,
    )
    yield CapturingTransport.envelopes
    sentry_sdk.init()  # no DSN: the SDK is off again for the other tests


def test_an_error_reaches_sentry_without_personal_data(sentry_events):
    def register(email, phone):
        raise ValueError(f"Email {email} ya registrado (teléfono {phone})")

    try:
        register("lucia@example.com", "+525512345678")
    except ValueError:
        sentry_sdk.capture_exception()
    sentry_sdk.flush()

    [envelope] = sentry_events
    payload = envelope.get_event()
    dumped = repr(payload)
    assert "lucia@example.com" not in dumped
    assert "5512345678" not in dumped
    assert payload["exception"]["values"][0]["value"] == (
        f"Email {FILTERED} ya registrado (teléfono {FILTERED})"
    )
    collection = sentry_sdk.get_client().options["data_collection"]
    assert collection["user_info"] is False
    assert collection["http_bodies"] == []
    assert collection["database_query_data"] is False
