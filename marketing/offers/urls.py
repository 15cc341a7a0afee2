from django.urls import path

from marketing.offers import views

app_name = "offers"

urlpatterns = [
    path("<str:token>/", views.personal, name="personal"),
]
