from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "content"
    label = "content"
    verbose_name = "Contenido"

    def ready(self):
        from content import reviews

        reviews.register()
