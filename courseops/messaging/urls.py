from django.urls import path

from courseops.messaging import views

app_name = "messaging"

urlpatterns = [
    path("baja/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
