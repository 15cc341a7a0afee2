from django.urls import path

from students.intake import pages, views

app_name = "intake"
urlpatterns = [
    path("", pages.plans_page, name="plans"),
    path("gracias/", pages.paid, name="paid"),
    path("corregir/<str:token>/", views.correct, name="correct"),
    path("plan/<slug:slug>/", pages.free_registration, name="free"),
    path("plan/<slug:slug>/pagar/", pages.checkout, name="checkout"),
]
