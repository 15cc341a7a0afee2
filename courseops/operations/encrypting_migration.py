"""RunPython operations for migrations that turn a plain column into an encrypted one."""

from django.db import migrations, models
from django.db.models.functions import Cast

from courseops.operations import encryption


def _raw_values(Model, field):
    return (
        Model.objects.exclude(**{field: ""})
        .annotate(raw=Cast(field, models.TextField()))
        .values_list("pk", "raw")
        .iterator(chunk_size=500)
    )


def encrypt_existing(app_label, model_name, field):
    """Encrypt the values stored in clear before the AlterField (and back, reversed)."""

    def forward(apps, schema_editor):
        Model = apps.get_model(app_label, model_name)
        for pk, raw in _raw_values(Model, field):
            if not encryption.is_token(raw):
                Model.objects.filter(pk=pk).update(**{field: raw})  # the field encrypts

    def backward(apps, schema_editor):
        Model = apps.get_model(app_label, model_name)
        for pk, raw in _raw_values(Model, field):
            if encryption.is_token(raw):
                plain = encryption.decrypt(raw.rpartition(":")[2])
                Model.objects.filter(pk=pk).update(
                    **{field: models.Value(plain, output_field=models.TextField())}
                )

    return migrations.RunPython(forward, backward, elidable=False)
