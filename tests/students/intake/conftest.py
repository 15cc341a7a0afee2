import pytest

from students.models import TypeformForm
from tests.students.intake.typeform_payload import SECRET


@pytest.fixture
def registration():
    """A valid registration as every door hands it to the service."""
    return {
        "email": "Lucia.Gomez@Example.com",
        "full_name": "Lucía Gómez",
        "phone": "55 1234 5678",
        "country": "MX",
        "plan": "premium",
        "interests": ["machine learning", "nlp"],
        "consent": True,
        "utm_source": "instagram",
    }


@pytest.fixture
def typeform(settings, plans):
    settings.TYPEFORM_WEBHOOK_SECRET = SECRET
    return TypeformForm.objects.create(
        form_id="lT4Z3j",
        name="Inscripción",
        field_refs={
            "full_name": "nombre",
            "email": "correo",
            "phone": "telefono",
            "plan": "plan",
            "interests": "intereses",
            "consent": "acepto",
        },
        hidden_fields={"utm_source": "utm_source", "utm_campaign": "utm_campaign"},
    )
