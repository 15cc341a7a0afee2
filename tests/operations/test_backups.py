"""Backups and the restore drill, on whichever database the suite runs on (PostgreSQL
with pg_dump/pg_restore, or the embedded SQLite with its online backup API)."""

import base64
import os
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.db import connection

from courseops.audit.models import AuditEntry
from courseops.operations.backups import crypto
from courseops.operations.backups.database import SQLITE, BackupError, check_pg_tools, engine
from courseops.operations.backups.services import (
    backups_in,
    create_backup,
    restore_backup,
    row_counts,
)
from students.models import Student

pytestmark = pytest.mark.django_db(transaction=True)
SAMPLED_TABLES = ["students_student", "webinars_registration", "audit_auditentry", "auth_user"]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / "materials").mkdir(parents=True)
    (settings.MEDIA_ROOT / "materials" / "guia.pdf").write_bytes(b"%PDF-1.7 guia")
    settings.BACKUP_ENCRYPTION_KEYS = [base64.urlsafe_b64encode(b"k" * 32).decode()]


def raw_connection(db):
    if engine(db) == SQLITE:
        return closing(sqlite3.connect(db["NAME"]))
    return psycopg.connect(
        dbname=db["NAME"],
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
    )


def read(cursor, sql):
    cursor.execute(sql)
    return [tuple(row) for row in cursor.fetchall()]


def test_a_backup_of_the_demo_data_restores_into_an_empty_database(tmp_path, empty_database):
    call_command("load_demo_data")
    counts = row_counts()
    assert counts["students_student"] > 0
    assert counts["webinars_registration"] > 0
    with raw_connection(connection.settings_dict) as source:  # same driver as the check
        samples = {
            table: read(source.cursor(), f"SELECT * FROM {table} ORDER BY 1 LIMIT 5")
            for table in SAMPLED_TABLES
        }
    assert all(samples.values())

    name = create_backup(storage=FileSystemStorage(location=tmp_path / "backups"))
    path = tmp_path / "backups" / name
    assert b"courseops-demo" not in path.read_bytes()  # nothing in clear, not even a password
    manifest = restore_backup(path=path, db=empty_database, media_root=tmp_path / "restored-media")

    assert manifest["rows"] == counts
    with raw_connection(empty_database) as restored:
        cursor = restored.cursor()
        for table, rows in counts.items():
            assert read(cursor, f"SELECT COUNT(*) FROM {table}") == [(rows,)], table
        for table, rows in samples.items():
            assert read(cursor, f"SELECT * FROM {table} ORDER BY 1 LIMIT 5") == rows, table
    assert (tmp_path / "restored-media" / "materials" / "guia.pdf").read_bytes() == (
        b"%PDF-1.7 guia"
    )


def test_restore_puts_back_what_was_deleted_and_checks_the_row_counts(tmp_path, capsys, settings):
    call_command("load_demo_data")
    phones = sorted(Student.objects.values_list("email", "phone"))
    settings.STORAGES = {
        **settings.STORAGES,
        "backups": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "backups")},
        },
    }
    call_command("backup")

    Student.objects.all().delete()
    call_command("restore", "latest", "--noinput")

    assert sorted(Student.objects.values_list("email", "phone")) == phones
    assert AuditEntry.objects.filter(action="operations.backup.restored").count() == 1
    assert "filas comprobadas" in capsys.readouterr().out


def test_only_the_newest_backups_are_kept(tmp_path):
    start = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
    storage = FileSystemStorage(location=tmp_path)
    for day in range(4):
        create_backup(storage=storage, keep=2, now=start + timedelta(days=day))
    assert backups_in(storage) == [
        "courseops-20261103T030000Z.cobackup",
        "courseops-20261104T030000Z.cobackup",
    ]


def test_an_altered_or_foreign_backup_is_refused(tmp_path, settings, empty_database):
    path = tmp_path / create_backup(storage=FileSystemStorage(location=tmp_path))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    altered = tmp_path / "altered.cobackup"
    altered.write_bytes(bytes(data))
    truncated = tmp_path / "truncated.cobackup"
    truncated.write_bytes(bytes(data[: len(data) - 100]))

    with pytest.raises(crypto.BackupDecryptionError, match="altered"):
        restore_backup(path=altered, db=empty_database)
    with pytest.raises(crypto.BackupDecryptionError):
        restore_backup(path=truncated, db=empty_database)
    settings.BACKUP_ENCRYPTION_KEYS = [base64.urlsafe_b64encode(os.urandom(32)).decode()]
    with pytest.raises(crypto.BackupDecryptionError, match="BACKUP_ENCRYPTION_KEYS"):
        restore_backup(path=path, db=empty_database)


def test_a_large_file_round_trips_through_the_chunked_encryption(tmp_path):
    plain = tmp_path / "plain.bin"
    plain.write_bytes(os.urandom(crypto.CHUNK * 2 + 123))
    crypto.encrypt_file(plain, tmp_path / "sealed")
    crypto.decrypt_file(tmp_path / "sealed", tmp_path / "opened")
    assert (tmp_path / "opened").read_bytes() == plain.read_bytes()


def test_a_pg_dump_older_than_the_server_is_refused(tmp_path, monkeypatch):
    fake = tmp_path / "bin" / "pg_dump"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 13.16 (Debian 13.16-0+deb11u1)'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")
    server = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "postgres",
        "HOST": "127.0.0.1",
        "PORT": "5432",
        "USER": "postgres",
        "PASSWORD": "",
    }

    with pytest.raises(BackupError, match="pg_dump 13 is older than the PostgreSQL 15 server"):
        check_pg_tools(server)
