"""A real Typeform form_response and how to deliver it signed (shared by the tests)."""

import base64
import hashlib
import hmac
import json

SECRET = "typeform-test-secret"

# A form_response as Typeform sends it (shape from Typeform's webhook docs): random field
# ids, our refs, a dropdown answered as `choice`, multiple choice as `choices`, hidden UTMs.
PAYLOAD = {
    "event_id": "01JD8W0Q9SX3W5Z5Z5Z5Z5Z5Z5",
    "event_type": "form_response",
    "form_response": {
        "form_id": "lT4Z3j",
        "token": "a3a12ec67a1365927098a606107fac15",
        "landed_at": "2026-11-25T12:58:02Z",
        "submitted_at": "2026-11-25T13:00:12Z",
        "hidden": {"utm_source": "instagram", "utm_campaign": "black-friday"},
        "definition": {
            "id": "lT4Z3j",
            "title": "Inscripción Curso de IA",
            "fields": [
                {"id": "Xy1", "ref": "nombre", "type": "short_text", "title": "¿Tu nombre?"},
                {"id": "Xy2", "ref": "correo", "type": "email", "title": "¿Tu email?"},
            ],
        },
        "answers": [
            {
                "type": "text",
                "text": "Lucía Gómez",
                "field": {"id": "Xy1", "type": "short_text", "ref": "nombre"},
            },
            {
                "type": "email",
                "email": "lucia@example.com",
                "field": {"id": "Xy2", "type": "email", "ref": "correo"},
            },
            {
                "type": "phone_number",
                "phone_number": "+525512345678",
                "field": {"id": "Xy3", "type": "phone_number", "ref": "telefono"},
            },
            {
                "type": "choice",
                "choice": {"id": "c1", "ref": "p", "label": "Premium"},
                "field": {"id": "Xy4", "type": "dropdown", "ref": "plan"},
            },
            {
                "type": "choices",
                "choices": {"ids": ["a", "b"], "labels": ["NLP", "Visión"]},
                "field": {"id": "Xy5", "type": "multiple_choice", "ref": "intereses"},
            },
            {
                "type": "boolean",
                "boolean": True,
                "field": {"id": "Xy6", "type": "legal", "ref": "acepto"},
            },
            {
                "type": "text",
                "text": "ignored",
                "field": {"id": "Xy7", "type": "short_text", "ref": "unmapped"},
            },
        ],
    },
}


def deliver(client, payload):
    body = json.dumps(payload).encode()
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest())
    return client.post(
        "/webhooks/typeform/",
        body,
        content_type="application/json",
        headers={"Typeform-Signature": f"sha256={signature.decode()}"},
    )
