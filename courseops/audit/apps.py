from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "courseops.audit"
    label = "audit"
    verbose_name = "Auditoría"
