from django.apps import AppConfig


class WebinarsConfig(AppConfig):
    name = "webinars"
    label = "webinars"
    verbose_name = "Webinars"
