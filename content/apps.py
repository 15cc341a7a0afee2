from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "content"
    label = "content"
    verbose_name = "Contenido"

    def ready(self):
        from content import reviews
        from content.portal import navigation

        reviews.register()
        navigation.register()
        from content import student_page

        student_page.register()
