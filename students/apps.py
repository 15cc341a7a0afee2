from django.apps import AppConfig


class StudentsConfig(AppConfig):
    name = "students"
    label = "students"
    verbose_name = "Estudiantes"

    def ready(self):
        from students.onboarding import welcome
        from students.portal import navigation

        welcome.register()
        navigation.register()
