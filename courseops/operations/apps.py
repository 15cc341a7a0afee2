from django.apps import AppConfig
from django.db.models.signals import post_migrate


class OperationsConfig(AppConfig):
    name = "courseops.operations"
    label = "operations"
    verbose_name = "Operaciones"

    def ready(self):
        from courseops.operations import checks, schema  # noqa: F401  (registers them)
        from courseops.operations.roles import on_post_migrate

        # For every app, not only this one: permissions of apps later in INSTALLED_APPS
        # are created after this app's post_migrate.
        post_migrate.connect(on_post_migrate, dispatch_uid="operations.roles")
