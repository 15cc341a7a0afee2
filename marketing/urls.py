from django.urls import path

from marketing import views

app_name = "marketing"

urlpatterns = [
    path("confirmar/<str:token>/", views.confirm, name="confirm"),
    path("preferencias/<str:token>/", views.preferences, name="preferences"),
    path("c/<str:token>/", views.click, name="click"),
    path("o/<str:token>/", views.open_pixel, name="open"),
]
