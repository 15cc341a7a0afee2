"""Public pages of the students app (the API lives in `students/api/`)."""

from django.urls import include, path

urlpatterns = [
    path("portal/", include("students.portal.urls")),
    path("registro/", include("students.intake.urls")),
    path("pago/", include("students.billing.urls")),
]
