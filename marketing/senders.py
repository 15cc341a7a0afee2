"""The From addresses staff may pick (`MARKETING_SENDERS`), never typed by hand."""

import logging

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


def sender_choices():
    return [("", _("Remitente por defecto")), *((s, s) for s in settings.MARKETING_SENDERS)]


class SenderChoiceForm(forms.ModelForm):
    """A model form whose `sender` is a choice among the configured senders."""

    sender = forms.ChoiceField(label=_("remitente"), choices=sender_choices, required=False)


def from_email(obj):
    """The sender chosen on a campaign or sequence, if it is still configured (a sender
    removed from the setting since falls back to the default rather than going out)."""
    if obj.sender and obj.sender not in settings.MARKETING_SENDERS:
        logger.warning("marketing.sender_not_configured", extra={"sender": obj.sender})
        return None
    return obj.sender or None
