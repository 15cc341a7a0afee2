from django.apps import AppConfig


class StudentsConfig(AppConfig):
    name = "students"
    label = "students"
    verbose_name = "Estudiantes"
