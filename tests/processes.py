"""For tests that run CourseOps as separate processes (worker, beat, a script) on the
embedded defaults: the environment, a command that must succeed, and a database already
migrated.

A `migrate` of an empty SQLite database costs about 36 s of CPU (Django renders the model
state once per operation). The first test of a run that needs one migrates a template,
under a lock shared by the xdist workers; every test then starts from its own copy. The
test of `migrate` itself (tests/core/test_schedule_processes.py) still runs it.
"""

import fcntl
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "db.sqlite3"  # where the embedded settings put it, in COURSEOPS_VAR_DIR


def embedded_env(var_dir, **extra):
    """This process's environment without the services: SQLite, the filesystem broker and
    the file cache in `var_dir` (plus `extra`, e.g. a REDIS_URL of the test's own)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    }
    env.update(COURSEOPS_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="courseops.settings")
    env.update(extra)
    return env


def run(env, *args, timeout=400):
    """`python *args` in the project; fails the test with its output unless it succeeds."""
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result


def migrated_template(shared_dir):
    """The run's migrated embedded database, if a process test made it (None if not);
    the SQLite suite's test databases start from it too (tests/database_template.py)."""
    template = Path(shared_dir) / "migrated-template" / DATABASE
    with open(Path(shared_dir) / "migrated-template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # whole once its maker has let go
        return template if template.exists() else None


def migrated_database(shared_dir, var_dir):
    """Put a migrated database in `var_dir`, copied from the run's template in
    `shared_dir` (made by the first caller, the others waiting on the lock)."""
    template_dir = Path(shared_dir) / "migrated-template"
    template = template_dir / DATABASE
    with open(Path(shared_dir) / "migrated-template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not template.exists():
            template_dir.mkdir(exist_ok=True)
            run(embedded_env(template_dir), "manage.py", "migrate", "--noinput")
    Path(var_dir).mkdir(parents=True, exist_ok=True)
    # SQLite's own copy: whole and consistent whatever its journal (WAL) holds.
    with (
        closing(sqlite3.connect(template)) as source,
        closing(sqlite3.connect(Path(var_dir) / DATABASE)) as copy,
    ):
        source.backup(copy)
