import pytest
from django.core.cache import cache

from courseops.celery import app as celery_app


@pytest.fixture(autouse=True)
def _isolated_cache():
    """Heartbeats, circuit breakers and budgets live in the cache: start each test clean."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _eager_celery():
    """Tasks enqueued on commit run in-process; tests that need a real worker start one."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user(
        username="ana",
        email="ana@example.com",
        password="pw-ana-1234",
        is_staff=True,
        is_superuser=True,
    )


@pytest.fixture
def api_client(staff_user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(staff_user)
    return client
