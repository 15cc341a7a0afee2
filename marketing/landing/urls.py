from django.urls import path

from marketing.landing import views

app_name = "landing"

urlpatterns = [
    path("<slug:slug>/", views.landing, name="page"),
    path("<slug:slug>/gracias/", views.thanks, name="thanks"),
    path("<slug:slug>/pagar/", views.checkout, name="checkout"),
]
