from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "courseops.operations"
    label = "operations"
    verbose_name = "Operaciones"

    def ready(self):
        from courseops.operations import checks  # noqa: F401  (registers system checks)
