"""Shared set-up for the benchmarks: Django on a throw-away test database.

Benchmarks measure; they do not assert. Each module under `bench/` has a `main()` that
prints its figures; `python -m bench [name ...]` runs them (see bench/README.md).
"""

import contextlib
import os

import django


def setup_django(settings_module="courseops.settings"):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    django.setup()


@contextlib.contextmanager
def bench_database():
    """Create a fresh test database (as the test runner does), destroy it afterwards."""
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield connection
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
