import pytest


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
