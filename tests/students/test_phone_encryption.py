import importlib
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.apps import apps as django_apps
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection
from django.db.models import F

from courseops.audit.models import AuditEntry
from courseops.operations import encryption
from courseops.operations.checks import encryption_settings
from students.models import Student

pytestmark = pytest.mark.django_db
OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
PHONE = "+525512345678"


@pytest.fixture(autouse=True)
def _keys(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    settings.FIELD_HASH_KEY = "blind-index-key-for-tests"


def raw_phone(student):
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM students_student WHERE id = %s", [student.pk])
        return cursor.fetchone()[0]


def test_the_column_holds_no_plaintext_and_the_model_reads_the_number(student_factory):
    student = student_factory(phone=PHONE)

    raw = raw_phone(student)
    assert "5512345678" not in raw
    blind_index, _, token = raw.partition(":")
    assert len(blind_index) == 32
    assert token.startswith("gAAAAA")
    assert Student.objects.get(pk=student.pk).phone == PHONE
    assert Student.objects.values_list("phone", flat=True).get(pk=student.pk) == PHONE


def test_students_are_still_found_by_exact_phone(student_factory):
    ana = student_factory(phone=PHONE)
    student_factory(phone="+34600111222")
    student_factory(phone="")

    assert list(Student.objects.filter(phone=PHONE)) == [ana]
    assert Student.objects.filter(phone__in=[PHONE, "+34600111222"]).count() == 2
    assert Student.objects.filter(phone="").count() == 1
    assert Student.objects.exclude(phone="").count() == 2
    assert not Student.objects.filter(phone="+525500000000").exists()


def test_filters_that_cannot_work_on_ciphertext_are_refused(student_factory):
    with pytest.raises(FieldError):
        Student.objects.filter(phone__startswith="+52").count()
    with pytest.raises(FieldError):
        Student.objects.filter(phone=F("email")).count()


def test_values_survive_a_key_rotation(student_factory, settings):
    students = [student_factory(phone=f"+34600111{n:03d}") for n in range(5)]
    before = {student.pk: raw_phone(student) for student in students}

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    out = StringIO()
    call_command("rotate_encryption_keys", batch_size=2, stdout=out)
    assert "5 filas re-cifradas" in out.getvalue()
    assert AuditEntry.objects.get(action="operations.encryption.rotated").data == {"rows": 5}

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]  # the old key is gone
    for n, student in enumerate(students):
        assert Student.objects.get(pk=student.pk).phone == f"+34600111{n:03d}"
        assert raw_phone(student) != before[student.pk]
        assert raw_phone(student).startswith(before[student.pk].partition(":")[0])
    assert Student.objects.filter(phone="+34600111003").get() == students[3]

    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    with pytest.raises(encryption.DecryptionError):
        Student.objects.get(pk=students[0].pk)


def test_the_migration_encrypts_numbers_stored_in_clear(student_factory):
    student = student_factory(phone="")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE students_student SET phone = %s WHERE id = %s", [PHONE, student.pk])
    migration = importlib.import_module("students.migrations.0004_encrypt_phone")

    migration.encrypt_existing_phones(django_apps, None)
    migration.encrypt_existing_phones(django_apps, None)  # a second run changes nothing

    assert PHONE not in raw_phone(student)
    assert Student.objects.get(pk=student.pk).phone == PHONE
    migration.decrypt_phones(django_apps, None)
    assert raw_phone(student) == PHONE


def test_production_requires_the_keys(settings):
    settings.PRODUCTION = True
    settings.FIELD_ENCRYPTION_KEYS = []
    settings.FIELD_HASH_KEY = ""
    settings.BACKUP_ENCRYPTION_KEYS = []
    errors = encryption_settings(None)
    assert [error.id for error in errors].count("courseops.E101") == 3
    assert {error.id for error in errors} == {"courseops.E101", "courseops.E102"}


def test_development_derives_a_key_that_is_not_the_secret_key(settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    settings.FIELD_HASH_KEY = ""
    [key] = encryption.encryption_keys()
    assert settings.SECRET_KEY not in key
    assert encryption.decrypt(encryption.encrypt("hola")) == "hola"
    assert encryption.hash_key() != settings.SECRET_KEY.encode()


def test_a_malformed_key_is_reported_by_the_system_check(settings):
    settings.FIELD_ENCRYPTION_KEYS = ["not-a-fernet-key"]
    assert [error.id for error in encryption_settings(None)] == ["courseops.E102"]
