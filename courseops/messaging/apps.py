from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "courseops.messaging"
    label = "messaging"
    verbose_name = "Mensajería"

    def ready(self):
        from courseops.messaging import checks, signals  # noqa: F401  (registers them)
        from courseops.messaging.hooks import register_send_check
        from courseops.messaging.services.push import push_expired

        register_send_check(push_expired)
