"""Dump and restore the database: pg_dump/pg_restore for PostgreSQL, SQLite's online
backup API for the embedded default. `db` is a Django DATABASES entry, so a restore drill
can aim at a database other than the one the project runs on."""

import os
import re
import sqlite3
import subprocess
from contextlib import closing

import psycopg

POSTGRESQL = "postgresql"
SQLITE = "sqlite"


class BackupError(Exception):
    pass


def engine(db):
    name = db["ENGINE"]
    if "postgresql" in name:
        return POSTGRESQL
    if "sqlite3" in name:
        return SQLITE
    raise BackupError(f"No backup method for {name}.")


# Django's DATABASES keys, psycopg's connection parameters, libpq's variables.
_PG_SETTINGS = (
    ("NAME", "dbname", "PGDATABASE"),
    ("HOST", "host", "PGHOST"),
    ("PORT", "port", "PGPORT"),
    ("USER", "user", "PGUSER"),
    ("PASSWORD", "password", "PGPASSWORD"),
)


def _pg_env(db):
    env = dict(os.environ)
    env.update({var: str(db[key]) for key, _param, var in _PG_SETTINGS if db.get(key)})
    return env


def _pg_params(db):
    return {param: str(db[key]) for key, param, _var in _PG_SETTINGS if db.get(key)}


def _major(version_text):
    match = re.search(r"(\d+)(?:\.\d+)?", version_text)
    if not match:
        raise BackupError(f"Cannot read a version in {version_text!r}.")
    return int(match.group(1))


def _run(args, db):
    try:
        # Fixed PostgreSQL client programs with our own arguments, never a shell.
        return subprocess.run(  # noqa: S603
            args, env=_pg_env(db), check=True, capture_output=True, text=True
        )
    except FileNotFoundError as exc:
        raise BackupError(f"{args[0]} is not installed (Debian: postgresql-client).") from exc
    except subprocess.CalledProcessError as exc:
        raise BackupError(f"{args[0]} failed: {exc.stderr.strip()[-2000:]}") from exc


def check_pg_tools(db):
    """pg_dump and pg_restore must exist and be at least the server's major version
    (an older pg_dump refuses a newer server; a dump from a newer one may not restore)."""
    server = _major(_run(["psql", "-XAtc", "SHOW server_version"], db).stdout)
    for tool in ("pg_dump", "pg_restore"):
        # "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"
        major = _major(_run([tool, "--version"], db).stdout.split("(PostgreSQL)")[-1])
        if major < server:
            raise BackupError(f"{tool} {major} is older than the PostgreSQL {server} server.")
    return server


def dump(db, path, *, count_rows):
    """Dump the database to `path`; returns `count_rows(cursor)` run on the very snapshot
    the dump holds, so a restore can be checked against it while the app keeps writing."""
    if engine(db) == SQLITE:
        # The online backup API copies a consistent snapshot; count in the copy.
        _sqlite_copy(db["NAME"], path)
        with closing(sqlite3.connect(path)) as copy:
            return count_rows(copy.cursor())
    check_pg_tools(db)
    with closing(psycopg.connect(**_pg_params(db))) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            rows = count_rows(cursor)
            args = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges"]
            _run([*args, f"--snapshot={snapshot}", f"--file={path}"], db)
        return rows


def restore(db, path):
    """Replace the database's content with the dump's (tables not in the dump stay)."""
    if engine(db) == POSTGRESQL:
        check_pg_tools(db)
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={db['NAME']}",
                str(path),
            ],
            db,
        )
    else:
        _sqlite_copy(path, db["NAME"])


def _sqlite_copy(source_path, target_path):
    with (
        closing(sqlite3.connect(source_path)) as source,
        closing(sqlite3.connect(target_path, timeout=20)) as target,
    ):
        source.backup(target)
