from django.apps import AppConfig


class AiConfig(AppConfig):
    name = "courseops.ai"
    label = "ai"
    verbose_name = "IA"
