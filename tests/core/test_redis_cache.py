"""The Redis cache keeps one client per connection pool (courseops/core/cache.py)."""

import pytest
from django.conf import settings
from django.core.cache import cache

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL")


def test_the_redis_cache_reuses_one_client_and_still_adds_reads_and_deletes():
    key = "tests:redis-cache:one-client"
    cache.delete(key)

    assert cache.add(key, 1, timeout=30) is True
    assert cache.add(key, 2, timeout=30) is False
    assert cache.get(key) == 1
    assert cache.delete(key) is True
    assert cache.get(key, "gone") == "gone"

    backend = cache._cache
    assert backend.get_client(key, write=True) is backend.get_client(key, write=True)
    assert backend.get_client(key) is backend.get_client(key, write=True)  # one server


def test_the_configured_backend_is_the_one_that_reuses_its_client():
    assert settings.CACHES["default"]["BACKEND"] == "courseops.core.cache.RedisCache"
