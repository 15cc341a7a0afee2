"""Re-encrypt every encrypted field under the current first key, in batches."""

from functools import reduce
from operator import or_

from django.apps import apps
from django.db import transaction

from courseops.audit.services import log_action
from courseops.operations.fields import EncryptedCharField


def encrypted_fields():
    """{model: [field names]} for every installed model with an encrypted field."""
    found = {}
    for model in apps.get_models():
        names = [
            field.name
            for field in model._meta.concrete_fields
            if isinstance(field, EncryptedCharField)
        ]
        if names:
            found[model] = names
    return found


def rotate_encrypted_fields(*, batch_size=500, progress=None):
    """Decrypt with any configured key, encrypt with the first; returns rows rewritten
    (only rows holding a ciphertext: an empty phone or an email recipient stays as is).

    Each batch is locked (`select_for_update`) while it is rewritten, so an edit made by
    staff in the meantime is neither lost nor overwritten; safe to stop and run again.
    """
    total = 0
    for model, names in encrypted_fields().items():
        manager = model._base_manager
        holding = reduce(or_, (model._meta.get_field(name).encrypted_rows() for name in names))
        last_pk = None
        while True:
            with transaction.atomic():
                rows = manager.filter(holding).select_for_update().order_by("pk")
                rows = rows.only("pk", *names)
                if last_pk is not None:
                    rows = rows.filter(pk__gt=last_pk)
                batch = list(rows[:batch_size])
                if not batch:
                    break
                manager.bulk_update(batch, names)
            last_pk = batch[-1].pk
            total += len(batch)
            if progress:
                progress(model, len(batch))
    log_action(None, "operations.encryption.rotated", data={"rows": total})
    return total
