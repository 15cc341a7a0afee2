"""`Idempotency-Key` on every POST of the API, as Stripe defines it (courseops.core.idempotency)."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from courseops.core.idempotency import IdempotentPost, purge_expired
from courseops.core.models import IdempotencyKey
from courseops.operations.tokens import issue_token
from marketing.api import views as lead_views
from marketing.models import Lead

URL = "/api/v1/leads/"
ANA = {"email": "ana@example.com", "nombre": "Ana"}


def client_with(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def integrations(django_user_model):
    """Two integrations, each with its own scoped token."""
    clients = []
    for name in ("zapier", "n8n"):
        user = django_user_model.objects.create_user(
            username=name, is_staff=True, is_superuser=True
        )
        _token, key = issue_token(user=user, name=name, scopes=["*"])
        clients.append(client_with(key))
    return clients


def post(client, body, key, **extra):
    return client.post(URL, body, format="json", headers={"Idempotency-Key": key}, **extra)


@pytest.mark.django_db
def test_a_retry_with_the_same_key_and_body_replays_the_first_answer(integrations):
    zapier, _ = integrations
    first = post(zapier, ANA, "k-1")
    # Same content, keys in another order: the same request.
    again = post(zapier, {"nombre": "Ana", "email": "ana@example.com"}, "k-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Lead.objects.count() == 1


@pytest.mark.django_db
def test_a_key_reused_with_another_body_is_a_422_that_says_so_and_runs_nothing(integrations):
    zapier, _ = integrations
    post(zapier, ANA, "k-1")

    other = post(zapier, {"email": "beto@example.com", "nombre": "Beto"}, "k-1")

    assert other.status_code == 422
    assert other.json() == {
        "detail": "Esta Idempotency-Key ya se usó con otra petición (otro cuerpo, método o "
        "ruta). Usa una clave nueva para cada petición distinta.",
        "errores": {},
    }
    assert list(Lead.objects.values_list("email", flat=True)) == ["ana@example.com"]


@pytest.mark.django_db
def test_a_key_reused_on_another_endpoint_is_a_422(integrations):
    zapier, _ = integrations
    post(zapier, ANA, "k-1")

    other = zapier.post(
        "/api/v1/questions/", ANA, format="json", headers={"Idempotency-Key": "k-1"}
    )

    assert other.status_code == 422


@pytest.mark.django_db
def test_another_token_with_the_same_key_is_executed_separately(integrations):
    zapier, n8n = integrations
    first = post(zapier, ANA, "shared-key")
    second = post(n8n, {"email": "beto@example.com", "nombre": "Beto"}, "shared-key")

    assert (first.status_code, second.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in second
    assert second.json()["email"] == "beto@example.com"
    assert Lead.objects.count() == 2


@pytest.mark.django_db
def test_without_a_key_every_post_runs(integrations):
    zapier, _ = integrations
    first = zapier.post(URL, ANA, format="json")
    second = zapier.post(URL, ANA, format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_a_key_is_kept_24_hours_then_purged_and_runs_again(integrations):
    zapier, _ = integrations
    post(zapier, ANA, "k-1")
    later = timezone.now() + timedelta(hours=25)
    with time_machine.travel(later, tick=False):
        # Not purged yet: an expired key is a new request.
        fresh = post(zapier, {"email": "beto@example.com", "nombre": "Beto"}, "k-1")
        assert fresh.status_code == 201
        assert "Idempotent-Replayed" not in fresh
    with time_machine.travel(later + timedelta(hours=25), tick=False):
        assert purge_expired() == 1
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_the_purge_keeps_keys_younger_than_a_day(integrations):
    zapier, _ = integrations
    post(zapier, ANA, "k-1")
    with time_machine.travel(timezone.now() + timedelta(hours=23), tick=False):
        assert purge_expired() == 0
    assert IdempotencyKey.objects.count() == 1


@pytest.mark.django_db
def test_a_request_still_running_makes_the_same_key_a_409_until_its_claim_is_stale(
    integrations, settings
):
    """The row-lock logic: a claim without an answer is a request in progress."""
    zapier, _ = integrations
    post(zapier, ANA, "k-1")
    # As if the first request were still running (its answer not stored yet).
    IdempotencyKey.objects.update(status_code=None, body=b"", locked_at=timezone.now())

    busy = post(zapier, ANA, "k-1")
    assert busy.status_code == 409
    assert "en curso" in busy.json()["detail"]

    # Its process died: after API_IDEMPOTENCY_LOCK_SECONDS the retry runs the request.
    stale = timezone.now() + timedelta(seconds=settings.API_IDEMPOTENCY_LOCK_SECONDS + 1)
    with time_machine.travel(stale, tick=False):
        retaken = post(zapier, ANA, "k-1")
    assert retaken.status_code == 200  # the lead exists: updated, not created twice
    assert "Idempotent-Replayed" not in retaken
    assert Lead.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_one_key_are_executed_once(integrations, monkeypatch):
    """Two threads on the real database: the second arrives while the first runs."""
    zapier, _ = integrations
    started, finish = threading.Event(), threading.Event()
    real_capture = lead_views.capture_lead
    calls = []

    def slow_capture(**kwargs):
        calls.append(kwargs["data"]["email"])
        started.set()
        assert finish.wait(10)
        return real_capture(**kwargs)

    monkeypatch.setattr(lead_views, "capture_lead", slow_capture)
    answers = {}

    def first_request():
        try:
            answers["first"] = post(zapier, ANA, "k-race")
        finally:
            connection.close()

    thread = threading.Thread(target=first_request)
    thread.start()
    assert started.wait(10)
    answers["second"] = post(zapier, ANA, "k-race")
    finish.set()
    thread.join(10)
    answers["third"] = post(zapier, ANA, "k-race")

    assert answers["first"].status_code == 201
    assert answers["second"].status_code == 409
    assert answers["third"].status_code == 201
    assert answers["third"]["Idempotent-Replayed"] == "true"
    assert calls == ["ana@example.com"]
    assert Lead.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_requests_racing_from_the_start_run_the_service_once(integrations):
    zapier, _ = integrations
    barrier = threading.Barrier(2)
    answers = []

    def request():
        try:
            barrier.wait(5)
            answers.append(post(zapier, ANA, "k-start"))
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    statuses = sorted(a.status_code for a in answers)
    assert statuses in ([201, 201], [201, 409])
    replayed = [a for a in answers if a.status_code == 201 and a.get("Idempotent-Replayed")]
    assert len(replayed) == (1 if statuses == [201, 201] else 0)
    assert Lead.objects.count() == 1


def _api_views(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _api_views(pattern, route)
        elif isinstance(pattern, URLPattern) and route.lstrip("^").startswith("api/v1/"):
            yield route, getattr(pattern.callback, "cls", None)


def test_every_api_view_with_a_post_is_idempotent():
    posts = [
        (route, cls) for route, cls in _api_views() if cls is not None and hasattr(cls, "post")
    ]
    assert len(posts) >= 10
    assert [route for route, cls in posts if not issubclass(cls, IdempotentPost)] == []


def test_the_hourly_purge_is_declared_for_beat():
    from courseops.core.schedules import declared

    periodic = declared()["core.purge_idempotency_keys"]
    assert (periodic.task, periodic.every) == ("core.purge_idempotency_keys", timedelta(hours=1))
