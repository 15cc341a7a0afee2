"""Discovered by courseops.webhooks: importing the modules registers their handlers."""

from students.billing import webhooks  # noqa: F401
from students.intake import typeform  # noqa: F401
