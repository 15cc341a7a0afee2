from django.urls import path

from students.billing import views

app_name = "billing"
urlpatterns = [
    path("portal/<str:token>/", views.portal_redirect, name="portal"),
    path("plan/<str:token>/", views.pay_redirect, name="pay"),
]
