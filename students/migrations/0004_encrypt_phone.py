"""Students' phone numbers encrypted at rest (courseops.operations.fields), with a blind
index so lookups by exact number keep working. Existing numbers are encrypted here."""

from django.db import migrations, models
from django.db.models.functions import Cast

import courseops.operations.fields
from courseops.operations import encryption


def _raw_phones(Student):
    return (
        Student.objects.exclude(phone="")
        .annotate(raw=Cast("phone", models.TextField()))
        .values_list("pk", "raw")
        .iterator(chunk_size=500)
    )


def encrypt_existing_phones(apps, schema_editor):
    Student = apps.get_model("students", "Student")
    for pk, raw in _raw_phones(Student):
        if not encryption.is_token(raw):
            Student.objects.filter(pk=pk).update(phone=raw)  # the field encrypts on save


def decrypt_phones(apps, schema_editor):
    Student = apps.get_model("students", "Student")
    for pk, raw in _raw_phones(Student):
        if encryption.is_token(raw):
            plain = encryption.decrypt(raw.rpartition(":")[2])
            Student.objects.filter(pk=pk).update(
                phone=models.Value(plain, output_field=models.TextField())
            )


class Migration(migrations.Migration):
    dependencies = [
        ("students", "0003_student_sms_consent"),
    ]

    operations = [
        migrations.AlterField(
            model_name="student",
            name="phone",
            field=courseops.operations.fields.EncryptedCharField(
                blank=True,
                help_text="E.164",
                max_length=20,
                searchable=True,
                verbose_name="teléfono",
            ),
        ),
        migrations.RunPython(encrypt_existing_phones, decrypt_phones, elidable=False),
        migrations.AddIndex(
            model_name="student",
            index=models.Index(
                fields=["phone"], name="student_phone_blind_index", opclasses=["text_pattern_ops"]
            ),
        ),
    ]
