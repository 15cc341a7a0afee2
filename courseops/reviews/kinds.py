"""Kinds this app ships itself. `demo_email` proves the whole path (queue, review,
outbox) on a fresh install and in tests; `automation_message` is an automation's message
held for review by its rollout (courseops.reviews.held); domain apps register their own
kinds."""

from django.utils.translation import gettext_lazy as _

from courseops.reviews.held import HELD_MESSAGE
from courseops.reviews.registry import EmailReviewKind, register_kind

DEMO_EMAIL = register_kind(EmailReviewKind(name="demo_email", label=_("Correo de demostración")))
register_kind(HELD_MESSAGE)
