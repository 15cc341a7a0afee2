from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "courseops.reviews"
    label = "reviews"
    verbose_name = "Revisión de borradores"
