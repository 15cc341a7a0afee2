from django.urls import path

from webinars.portal import views

app_name = "webinars_portal"
urlpatterns = [
    path("", views.my_webinars, name="my_webinars"),
    path("<int:pk>/inscribirme/", views.register, name="register"),
    path("inscripciones/<int:pk>/calendario.ics", views.ics, name="ics"),
    path("<int:pk>/grabacion/", views.replay, name="replay"),
    path("<int:pk>/grabacion/video/", views.replay_video, name="replay_video"),
    path("<int:pk>/grabacion/subtitulos.vtt", views.replay_captions, name="replay_captions"),
    path("<int:pk>/grabacion/reproduccion/", views.replay_playback, name="replay_playback"),
]
