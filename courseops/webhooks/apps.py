from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "courseops.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks entrantes"
