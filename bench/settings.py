"""Settings for benchmarks that start a real server: the project's, plus bench-only views.

The server process is told the throw-away database's name through BENCH_DATABASE_NAME,
and publishes its tasks to a queue of its own that the benchmark deletes afterwards.
"""

import base64
import os

from courseops.settings import *  # noqa: F403
from courseops.settings import ALLOWED_HOSTS, DATABASES, VAR_DIR

ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "127.0.0.1", "testserver"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The test runner's default SQLite test database lives in memory: a server in another
    # process needs a file.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "bench.sqlite3")}
if os.environ.get("BENCH_DATABASE_NAME"):
    DATABASES["default"]["NAME"] = os.environ["BENCH_DATABASE_NAME"]

# The servers run as production does: with DEBUG on, Django records every query (the
# webhook's INSERT was timed and kept; the bare view, with no query, paid nothing).
DEBUG = False
# Static files are looked up once at start-up, as from collectstatic in production.
WHITENOISE_AUTOREFRESH = False
CELERY_TASK_DEFAULT_QUEUE = "bench"
BENCH_GENERIC_KEY = b"bench-key-bench-key-bench-key-32"
GENERIC_WEBHOOK_SECRET = "whsec_" + base64.b64encode(BENCH_GENERIC_KEY).decode()
TYPEFORM_WEBHOOK_SECRET = "bench-typeform-secret"
