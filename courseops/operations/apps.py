from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "courseops.operations"
    label = "operations"
    verbose_name = "Operaciones"
