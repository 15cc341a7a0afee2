"""One migrated test database per run, copied by every pytest-xdist worker.

Each worker needs its own test database, and a migrate of the whole project costs about
36 s of CPU. The first worker migrates its database as pytest-django always did and keeps
a copy as the run's template; the others copy the template (PostgreSQL's CREATE DATABASE
... TEMPLATE, SQLite's backup) and let Django check it with a migrate that finds nothing to
do. A lock in the run's temporary folder orders them. On PostgreSQL the template is named
for what made it (a digest of the project's code, the pinned requirements and the
installed apps' migrations) and kept on the server: a later run of the same code starts
from it without migrating (CI after the same commit's run), and any change replaces it
(post_migrate handlers fill rows from code, not only migrations). On SQLite, when a process test
already migrated the run's embedded database (tests/processes.py, the same migrations and
settings), that is the template: nobody migrates twice.
"""

import fcntl
import hashlib
import sqlite3
from contextlib import closing, contextmanager
from pathlib import Path

MARKER = "test-database-template"


@contextmanager
def held(shared_dir):
    with open(Path(shared_dir) / f"{MARKER}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def copy_into_test_database(connection, shared_dir):
    """The run's template copied to this worker's test database; False if there is none
    yet (this worker migrates, then `keep_as_template`)."""
    marker = Path(shared_dir) / MARKER
    if not marker.exists() and connection.vendor == "postgresql":
        kept = _postgresql_template_name(connection.settings_dict["NAME"])
        with connection._nodb_cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [kept])
            if cursor.fetchone():  # an earlier run's, for these same migrations
                marker.write_text(kept)
    if not marker.exists() and connection.vendor == "sqlite":
        from tests.processes import migrated_template

        made = migrated_template(shared_dir)
        if made is not None:
            marker.write_text(str(made))
    if not marker.exists():
        return False
    template = marker.read_text()
    target = connection.creation._get_test_db_name()
    if connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {quote(target)}")
            cursor.execute(f"CREATE DATABASE {quote(target)} TEMPLATE {quote(template)}")
    else:
        for leftover in (f"{target}-wal", f"{target}-shm", target):
            Path(leftover).unlink(missing_ok=True)
        _sqlite_copy(template, target)
    return True


def keep_as_template(connection, shared_dir, original_name):
    """This worker's freshly migrated test database becomes the run's template."""
    source = connection.settings_dict["NAME"]
    if connection.vendor == "postgresql":
        template = _postgresql_template_name(original_name)
        quote = connection.ops.quote_name
        connection.close()  # a database with sessions open cannot be a template
        with connection._nodb_cursor() as cursor:
            # Templates of other migrations (earlier versions of the project) go.
            cursor.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s",
                [f"test\\_{original_name}\\_template%"],
            )
            for (stale,) in cursor.fetchall():
                cursor.execute(f"DROP DATABASE IF EXISTS {quote(stale)}")
            cursor.execute(f"CREATE DATABASE {quote(template)} TEMPLATE {quote(source)}")
    else:
        template = str(Path(shared_dir) / "test-database-template.sqlite3")
        _sqlite_copy(source, template)
    (Path(shared_dir) / MARKER).write_text(template)


def _postgresql_template_name(original_name):
    from django.apps import apps

    root = Path(__file__).resolve().parents[1]
    # Each file named within its folder: the same digest wherever the checkout is.
    files = [(name, root / name) for name in ("requirements.txt", "requirements-dev.txt")]
    for config in sorted(apps.get_app_configs(), key=lambda config: config.label):
        folder = Path(config.path)
        ours = folder.is_relative_to(root) and ".venv" not in folder.parts
        found = folder.rglob("*.py") if ours else folder.glob("migrations/*.py")
        files += [(f"{config.label}/{path.relative_to(folder)}", path) for path in sorted(found)]
    digest = hashlib.sha256()
    for name, path in files:
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return f"test_{original_name}_template_{digest.hexdigest()[:12]}"


def _sqlite_copy(source, target):
    # SQLite's own copy: whole and consistent whatever its journal (WAL) holds.
    with closing(sqlite3.connect(source)) as origin, closing(sqlite3.connect(target)) as copy:
        origin.backup(copy)
