from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "courseops.messaging"
    label = "messaging"
    verbose_name = "Mensajería"

    def ready(self):
        from courseops.messaging import checks, signals  # noqa: F401  (registers them)
