from django.urls import path

from students.intake import views

app_name = "intake"
urlpatterns = [
    path("corregir/<str:token>/", views.correct, name="correct"),
]
