import json

import pytest
from werkzeug.wrappers import Response

from courseops.messaging import hooks

POSTMARK_TOKEN = "postmark-test-token"


@pytest.fixture(autouse=True)
def _core_outbox_alone(settings, monkeypatch):
    """The outbox as the core ships it: no quiet hours and no app's person lookups or
    consent checks (marketing registers them; tests/marketing covers them). Policy tests
    turn on what they test."""
    settings.MESSAGING_QUIET_HOURS = ""
    monkeypatch.setattr(hooks, "_PERSON_LOOKUPS", [])
    monkeypatch.setattr(hooks, "_CONSENT_CHECKS", [])


TWILIO_SID = "ACtest0000000000000000000000000000"
TWILIO_MESSAGES_PATH = f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"


@pytest.fixture
def postmark(settings, httpserver):
    """Email goes through anymail's real Postmark backend to a local fake Postmark."""
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {
        "POSTMARK_SERVER_TOKEN": POSTMARK_TOKEN,
        "POSTMARK_API_URL": httpserver.url_for("/"),
        "REQUESTS_TIMEOUT": 5,
        "WEBHOOK_SECRET": "hook:secret",
    }
    return httpserver


@pytest.fixture
def postmark_accepts(postmark):
    """Fake Postmark accepting every message; the list collects the JSON it received."""
    received = []

    def accept(request):
        payload = json.loads(request.data)
        received.append(payload)
        body = {
            "To": payload["To"],
            "SubmittedAt": "2026-11-25T12:00:00Z",
            "MessageID": f"pm-{len(received)}",
            "ErrorCode": 0,
            "Message": "OK",
        }
        return Response(json.dumps(body), content_type="application/json")

    postmark.expect_request("/email", method="POST").respond_with_handler(accept)
    return received


@pytest.fixture
def twilio(settings, httpserver):
    """SMS goes through the real twilio SDK to a local fake Twilio API."""
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = TWILIO_SID
    settings.TWILIO_AUTH_TOKEN = "twilio-token"
    settings.TWILIO_FROM_NUMBER = "+15005550006"
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_STATUS_CALLBACK_URL = "https://courseops.example/webhooks/twilio/"
    settings.TWILIO_API_BASE_URL = httpserver.url_for("/").rstrip("/")
    return httpserver


def twilio_message(sid, to, status="queued"):
    return {
        "sid": sid,
        "account_sid": TWILIO_SID,
        "to": to,
        "from": "+15005550006",
        "body": "",
        "status": status,
        "error_code": None,
        "error_message": None,
        "num_segments": "1",
        "uri": f"/2010-04-01/Accounts/{TWILIO_SID}/Messages/{sid}.json",
    }
