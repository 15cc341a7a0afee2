from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "courseops.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks entrantes"

    def ready(self):
        from courseops.webhooks import checks  # noqa: F401  (registers system checks)
