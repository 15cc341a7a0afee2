import os
import shutil
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.cache import cache
from django.db import connections

from courseops.celery import app as celery_app

# The day every test starts on (the clock then runs): fixed dates in tests, such as a
# webinar on 10 December 2026, stay in the future whenever the suite runs.
SUITE_DAY = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 09:00 in Mexico City
REAL_CLOCK_MARKERS = ("browser", "processes", "real_clock")


def pytest_collection_modifyitems(items):
    """The longest work first, so that no worker ends the run alone on one slow file while
    the other sits idle: tests that start real processes (a minute or two each), then
    browser tests, then the other files by their number of tests. pytest-xdist keeps this
    order with `--no-loadscope-reorder` (Makefile); its own reorder, by tests per file
    only, had put the one-test process files last, one of them running alone at the end."""
    per_file = Counter(item.nodeid.split("::")[0] for item in items)

    def cost(item):
        heavy = [item.get_closest_marker(name) is None for name in ("processes", "browser")]
        return (*heavy, -per_file[item.nodeid.split("::")[0]])

    items.sort(key=cost)


@pytest.fixture(autouse=True)
def _suite_day(request):
    """Tests that share the clock with another process (a browser's cookie expiry, a
    worker's heartbeats) keep the real one."""
    if any(request.node.get_closest_marker(name) for name in REAL_CLOCK_MARKERS):
        yield
        return
    with time_machine.travel(SUITE_DAY, tick=True):
        yield


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


@contextmanager
def lost_broker():
    """Celery publishing to a port nobody listens on (what a broker outage loses is
    lost); the real pools are put back after."""
    conf = celery_app.conf
    saved_conf = (conf.broker_url, conf.task_publish_retry_policy, conf.task_always_eager)
    saved_pools = (celery_app._pool, celery_app.amqp._producer_pool)
    conf.task_always_eager = False
    conf.broker_url = "redis://127.0.0.1:1/0"
    conf.task_publish_retry_policy = {"max_retries": 0}
    celery_app._pool = celery_app.amqp._producer_pool = None
    try:
        yield
    finally:
        conf.broker_url, conf.task_publish_retry_policy, conf.task_always_eager = saved_conf
        celery_app._pool, celery_app.amqp._producer_pool = saved_pools


@pytest.fixture
def broker_down():
    with lost_broker():
        yield


def _run_dir(tmp_path_factory):
    """The temporary folder this run's xdist workers share."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_modify_db_settings,
    tmp_path_factory,
):
    """pytest-django's, with the migrate done once per run (tests/database_template.py)."""
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.fixtures import _get_databases_for_setup

    from tests import database_template

    shared = _run_dir(tmp_path_factory)
    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    original_name = connection.settings_dict["NAME"]
    with django_db_blocker.unblock(), database_template.held(shared):
        copied = database_template.copy_into_test_database(connection, shared)
        db_cfg = setup_databases(
            verbosity=request.config.option.verbose,
            interactive=False,
            keepdb=copied,  # the copy is checked by a migrate with nothing to do
            aliases=aliases,
            serialized_aliases=serialized_aliases,
        )
        if not copied:
            database_template.keep_as_template(connection, shared, original_name)
    yield
    with django_db_blocker.unblock():
        teardown_databases(db_cfg, verbosity=request.config.option.verbose)


@pytest.fixture(scope="session", autouse=True)
def _quick_flush():
    """A transactional test ends by emptying the database (Django's flush), then runs
    post_migrate to put back what migrate makes. Two costs, cut here for tests only
    (nothing else flushes):
    - On PostgreSQL the flush is one TRUNCATE of every table, which recreates each
      table's files: 3.7 s per flush under CI's load, for tables holding a few rows. A
      DELETE of each, with the foreign keys checked at commit, took 0.02 s.
    - The content types and permissions, the same after every migrate, were deleted and
      made again, about 600 rows each time. They are kept: no transactional test changes
      them, and post_migrate finds them there."""
    from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLWrapper
    from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper

    PostgreSQL, SQLite = PostgreSQLWrapper.ops_class, SQLiteWrapper.ops_class

    kept = {"django_content_type", "auth_permission"}
    originals = {PostgreSQL: PostgreSQL.sql_flush, SQLite: SQLite.sql_flush}

    def postgresql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        tables = [table for table in tables if table not in kept]
        if reset_sequences or allow_cascade or not tables:
            return originals[PostgreSQL](
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        return [
            "SET CONSTRAINTS ALL DEFERRED;",
            *(f"DELETE FROM {self.quote_name(table)};" for table in tables),
        ]

    def sqlite_flush(self, style, tables, **options):
        return originals[SQLite](self, style, [t for t in tables if t not in kept], **options)

    PostgreSQL.sql_flush, SQLite.sql_flush = postgresql_flush, sqlite_flush
    yield
    PostgreSQL.sql_flush, SQLite.sql_flush = originals[PostgreSQL], originals[SQLite]


@pytest.fixture
def migrated_var_dir(tmp_path, tmp_path_factory):
    """`tmp_path` holding a migrated embedded database, for tests that start processes
    (a copy of one template per run: tests/processes.py)."""
    from tests.processes import migrated_database

    migrated_database(_run_dir(tmp_path_factory), tmp_path)
    return tmp_path


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def at(django_capture_on_commit_callbacks):
    """Run `fn` at moment `when` with on-commit tasks executed (the worker)."""

    def run(when, fn, *args, **kwargs):
        with (
            time_machine.travel(when, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return fn(*args, **kwargs)

    return run


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


@pytest.fixture
def portal_sign_in(client, settings):
    """Sign a student into the portal on the test client, as the emailed link does (for
    a session that survives the weeks tests travel ahead)."""
    from students.portal.services import SESSION_EMAIL_KEY, SESSION_KEY

    settings.SESSION_COOKIE_AGE = 365 * 24 * 3600

    def sign_in(student):
        session = client.session
        session[SESSION_KEY] = student.pk
        session[SESSION_EMAIL_KEY] = student.email
        session.save()
        return student

    return sign_in


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_page(monkeypatch):
    """A headless Chromium page (Debian's, installed by `make browser`) driven by Playwright."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("no Chromium at /usr/bin/chromium: run `make browser` to install it")
    playwright_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the test's ORM calls are
    # plain synchronous code. Set for this test only: `check --deploy` rejects it.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(15_000)
        yield page
        browser.close()
        # While Playwright runs, Django sees another context and opens its own database
        # connection for it; close it there or the test database cannot be dropped.
        connections.close_all()


@pytest.fixture
def push_service(httpserver, settings):
    """Web push on, and a local push service that records (and can decrypt) every push."""
    from tests.push import start_push_service

    return start_push_service(httpserver, settings)
