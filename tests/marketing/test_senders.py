"""A sender per campaign and sequence, picked from `MARKETING_SENDERS`: the email that
goes out is From the chosen one."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.forms import modelform_factory

from marketing.models import Campaign, LeadForm, Sequence
from marketing.senders import SenderChoiceForm
from marketing.services.campaigns import schedule_campaign
from tests.marketing.conftest import NOON
from tests.marketing.test_campaigns import (  # noqa: F401  (fixtures)
    campaign_factory,
    everyone,
    make_leads,
    run,
)
from tests.marketing.test_sequences import email_step, tick

pytestmark = pytest.mark.django_db

MARTA = "Marta de IA Academy <marta@example.com>"


@pytest.fixture(autouse=True)
def senders(settings):
    settings.DEFAULT_FROM_EMAIL = "IA Academy <hola@example.com>"
    settings.MARKETING_SENDERS = ["IA Academy <hola@example.com>", MARTA]


def test_a_campaign_goes_out_from_its_chosen_sender(
    campaign_factory,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    make_leads(2)
    campaign = campaign_factory(send_at=NOON, sender=MARTA)
    schedule_campaign(campaign=campaign)
    run(django_capture_on_commit_callbacks, NOON)

    assert sorted(message.to[0] for message in mail.outbox) == ["p0@example.com", "p1@example.com"]
    assert {message.from_email for message in mail.outbox} == {MARTA}


def test_a_sequence_email_goes_out_from_its_sender_and_a_removed_sender_falls_back(
    settings, subscribe, staff_user, django_capture_on_commit_callbacks
):
    form = LeadForm.objects.create(slug="guia", name="Guía", double_opt_in=False)
    sequence = Sequence.objects.create(
        name="Bienvenida", trigger=Sequence.Trigger.FORM, trigger_form=form, sender=MARTA
    )
    email_step(sequence, 1, "tu guía", staff_user)
    email_step(sequence, 2, "segunda", staff_user)
    with time_machine.travel(NOON, tick=False):
        subscribe({"email": "ana@example.com", "name": "Ana", "consent": True}, form=form)

    tick(django_capture_on_commit_callbacks, NOON)
    settings.MARKETING_SENDERS = ["IA Academy <hola@example.com>"]  # Marta's address retired
    tick(django_capture_on_commit_callbacks, NOON + timedelta(minutes=1))

    assert [(m.subject, m.from_email) for m in mail.outbox] == [
        ("Ana: tu guía", MARTA),
        ("Ana: segunda", "IA Academy <hola@example.com>"),
    ]


def test_staff_pick_a_sender_from_the_setting_and_cannot_type_another():
    form_class = modelform_factory(Campaign, form=SenderChoiceForm, fields=["name", "sender"])

    typed = form_class(data={"name": "Noviembre", "sender": "Jefe <ceo@otro.example>"})
    chosen = form_class(data={"name": "Noviembre", "sender": MARTA})

    assert "sender" in typed.errors
    assert chosen.is_valid(), chosen.errors
    assert chosen.save().sender == MARTA
    assert [value for value, _label in typed.fields["sender"].choices] == [
        "",
        "IA Academy <hola@example.com>",
        MARTA,
    ]
