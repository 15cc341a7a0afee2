from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "courseops.support"
    label = "support"
    verbose_name = "Soporte"
