from django.db import models
from django.utils.translation import gettext_lazy as _


class Holder(models.Model):
    """A process that may hold claimed work (a worker, or any process claiming a row),
    with its last heartbeat. See courseops.core.liveness."""

    name = models.CharField(_("proceso"), max_length=150, primary_key=True)  # host:pid
    started_at = models.DateTimeField(_("inicio"))
    last_seen = models.DateTimeField(_("último latido"), db_index=True)

    class Meta:
        verbose_name = _("proceso con trabajo")
        verbose_name_plural = _("procesos con trabajo")

    def __str__(self):
        return self.name
