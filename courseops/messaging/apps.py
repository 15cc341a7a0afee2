from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "courseops.messaging"
    label = "messaging"
    verbose_name = "Mensajería"
