from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class OutboundConfig(AppConfig):
    name = "courseops.outbound"
    label = "outbound"
    verbose_name = _("Webhooks salientes")

    def ready(self):
        # Each app's `webhook_events.py` registers its events and connects the receivers
        # that announce them (this app imports no domain app).
        autodiscover_modules("webhook_events")
