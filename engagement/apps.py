from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "engagement"
    label = "engagement"
    verbose_name = "Engagement"

    def ready(self):
        from courseops.webhooks.registry import register_provider
        from engagement import portal_navigation, review_kinds, signals  # noqa: F401

        review_kinds.register()
        portal_navigation.register()
        register_provider("thinkific", "engagement.thinkific.ThinkificProvider")
