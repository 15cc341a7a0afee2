from django.urls import path

from webinars.api import views

urlpatterns = [
    path("webinars/", views.WebinarList.as_view(), name="webinar-list"),
    path("webinars/<int:pk>/", views.WebinarDetail.as_view(), name="webinar-detail"),
    path(
        "webinars/<int:pk>/registrations/",
        views.WebinarRegistrations.as_view(),
        name="webinar-registrations",
    ),
]
