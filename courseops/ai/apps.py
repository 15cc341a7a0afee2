from django.apps import AppConfig


class AiConfig(AppConfig):
    name = "courseops.ai"
    label = "ai"
    verbose_name = "IA"

    def ready(self):
        from courseops.ai import checks  # noqa: F401  (registers system checks)
