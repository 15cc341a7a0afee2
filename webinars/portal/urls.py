from django.urls import path

from webinars.portal import views

app_name = "webinars_portal"
urlpatterns = [
    path("", views.my_webinars, name="my_webinars"),
    path("<int:pk>/inscribirme/", views.register, name="register"),
    path("inscripciones/<int:pk>/calendario.ics", views.ics, name="ics"),
]
