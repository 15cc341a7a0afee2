from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "marketing"
    label = "marketing"
    verbose_name = "Marketing"
