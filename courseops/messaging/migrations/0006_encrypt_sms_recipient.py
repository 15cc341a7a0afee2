"""SMS recipients encrypted at rest with a blind index (emails stay in clear), and old
Mexican mobiles (+521 and ten digits, stored before the numbering rule changed) brought
to today's +52 spelling in the outbox and the suppression list, so a STOP recorded under
one spelling holds for messages queued under the other."""

import re

from django.db import migrations

import courseops.messaging.fields
from courseops.messaging.services.addresses import phone_text
from courseops.operations.encrypting_migration import encrypt_existing
from courseops.operations.encryption import blind_index

OLD_MEXICAN_MOBILE = re.compile(r"^\+521(\d{10})$")


def sms_person_keys(apps, schema_editor):
    """A number nobody claims was its own person key, in clear: now its keyed hash."""
    OutboundMessage = apps.get_model("messaging", "OutboundMessage")
    keys = (
        OutboundMessage.objects.filter(person_key__startswith="sms:+")
        .values_list("person_key", flat=True)
        .distinct()
    )
    for key in list(keys):
        number = phone_text(key.removeprefix("sms:"))
        OutboundMessage.objects.filter(person_key=key).update(
            person_key=f"sms:{blind_index(number)}"
        )


def suppressions_in_todays_numbering(apps, schema_editor):
    Suppression = apps.get_model("messaging", "Suppression")
    old = Suppression.objects.filter(channel="sms", address__startswith="+521")
    for pk, address in list(old.values_list("pk", "address")):
        match = OLD_MEXICAN_MOBILE.match(address)
        if not match:
            continue
        today = f"+52{match.group(1)}"
        if Suppression.objects.filter(channel="sms", address=today).exists():
            Suppression.objects.filter(pk=pk).delete()  # the number is already suppressed
        else:
            Suppression.objects.filter(pk=pk).update(
                address=today, address_index=blind_index(today)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0005_outbound_from_email"),
    ]

    operations = [
        migrations.AlterField(
            model_name="outboundmessage",
            name="recipient",
            field=courseops.messaging.fields.AddressField(
                db_index=True, max_length=254, verbose_name="destinatario"
            ),
        ),
        encrypt_existing(
            "messaging", "outboundmessage", "recipient", only={"channel": "sms"}, clean=phone_text
        ),
        migrations.RunPython(sms_person_keys, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(
            suppressions_in_todays_numbering, migrations.RunPython.noop, elidable=False
        ),
    ]
