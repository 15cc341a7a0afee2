from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "marketing"
    label = "marketing"
    verbose_name = "Marketing"

    def ready(self):
        from courseops.messaging.hooks import register_consent_check, register_person_lookup
        from marketing import signals  # noqa: F401  (connects the receivers)
        from marketing.directory import marketing_consent, person_for

        register_person_lookup(person_for)
        register_consent_check(marketing_consent)
