from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StudentsConfig(AppConfig):
    name = "students"
    label = "students"
    verbose_name = "Estudiantes"

    def ready(self):
        from courseops.support.kinds import register_ticket_kind
        from students.onboarding import welcome
        from students.portal import navigation

        welcome.register()
        register_ticket_kind("welcome_call", _("Llamada de bienvenida"))
        navigation.register()
