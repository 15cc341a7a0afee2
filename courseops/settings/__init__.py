"""CourseOps settings: everything comes from the environment (see `.env.example`).

With no variable set at all the project runs on one machine with embedded defaults:
SQLite, a filesystem Celery broker, a file cache, console email and SMS and the offline
AI provider. Setting `DATABASE_URL`, `REDIS_URL` and provider keys moves each part to the
real service without code changes.
"""

from courseops.settings.features import *  # noqa: F403
from courseops.settings.framework import *  # noqa: F403
