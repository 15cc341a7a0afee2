from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "courseops.core"
    label = "core"
    verbose_name = "Operación"

    def ready(self):
        from courseops.core import checks  # noqa: F401  (registers system checks)
        from courseops.core import logging as structured_logging

        structured_logging.configure_structlog()
