from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "engagement"
    label = "engagement"
    verbose_name = "Engagement"

    def ready(self):
        from courseops.webhooks.registry import register_provider
        from engagement import review_kinds, signals  # noqa: F401  (connects the receivers)

        review_kinds.register()
        register_provider("thinkific", "engagement.thinkific.ThinkificProvider")
