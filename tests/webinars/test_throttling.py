from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from tests.webinars.conftest import START
from webinars.models import Registration

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "webinar_registration": "3/min",
        },
    }


def test_the_public_registration_page_limits_posts_per_address(client, make_webinar, rates):
    webinar = make_webinar()
    url = reverse("webinars:register", args=[webinar.pk])
    with time_machine.travel(START - timedelta(days=20), tick=False) as clock:
        answers = [
            client.post(url, {"name": "Bot", "email": f"bot{n}@example.com", "time_zone": "UTC"})
            for n in range(4)
        ]
        assert client.get(url).status_code == 200  # reading the page is never limited
        from_elsewhere = client.post(
            url,
            {"name": "Eva", "email": "eva@example.com", "time_zone": "UTC"},
            REMOTE_ADDR="10.0.0.9",
        )
        forged = client.post(
            url,
            {"name": "Bot", "email": "bot9@example.com", "time_zone": "UTC"},
            HTTP_X_FORWARDED_FOR="1.2.3.4",
        )
        clock.shift(timedelta(seconds=61))
        later = client.post(url, {"name": "Bot", "email": "bot5@example.com", "time_zone": "UTC"})

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert 0 < int(answers[3]["Retry-After"]) <= 60
    assert "Demasiados intentos" in answers[3].content.decode()
    assert from_elsewhere.status_code == 200
    assert forged.status_code == 429  # X-Forwarded-For is not trusted without proxies
    assert later.status_code == 200
    assert Registration.objects.count() == 5


def test_the_registration_api_is_throttled_per_token(api_client, make_webinar, rates):
    webinar = make_webinar()
    url = f"/api/v1/webinars/{webinar.pk}/registrations/"
    with time_machine.travel(START - timedelta(days=20), tick=False):
        codes = [
            api_client.post(url, {"email": f"p{n}@example.com"}, format="json").status_code
            for n in range(4)
        ]
    assert codes == [201, 201, 201, 429]
