"""RunPython operations for migrations that turn a plain column into an encrypted one."""

from django.db import migrations, models
from django.db.models.functions import Cast

from courseops.operations import encryption


def _raw_values(Model, field, only):
    return (
        Model.objects.filter(**(only or {}))
        .exclude(**{field: ""})
        .annotate(raw=Cast(field, models.TextField()))
        .values_list("pk", "raw")
        .iterator(chunk_size=500)
    )


def encrypt_existing(app_label, model_name, field, *, only=None, clean=None):
    """Encrypt the values stored in clear before the AlterField (and back, reversed).

    `only`: filter kwargs for the rows that hold such values (an outbox's SMS, not its
    emails); `clean`: a function giving the value to store in place of the old one (an
    old spelling brought up to date), applied to the values stored in clear."""

    def forward(apps, schema_editor):
        Model = apps.get_model(app_label, model_name)
        for pk, raw in _raw_values(Model, field, only):
            if not encryption.is_token(raw):
                value = clean(raw) if clean else raw
                Model.objects.filter(pk=pk).update(**{field: value})  # the field encrypts

    def backward(apps, schema_editor):
        Model = apps.get_model(app_label, model_name)
        for pk, raw in _raw_values(Model, field, only):
            if encryption.is_token(raw):
                plain = encryption.decrypt(raw.rpartition(":")[2])
                Model.objects.filter(pk=pk).update(
                    **{field: models.Value(plain, output_field=models.TextField())}
                )

    return migrations.RunPython(forward, backward, elidable=False)
