from django.urls import path

from webinars import views

app_name = "webinars"
urlpatterns = [
    path("calendar.ics", views.feed, name="feed"),
    path("<int:pk>/", views.register, name="register"),
    path("<int:pk>/calendar.ics", views.webinar_ics, name="ics"),
    path("join/<str:token>/", views.join, name="join"),
]
