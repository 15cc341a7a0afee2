from django.urls import path

from content.portal import views

app_name = "content_portal"
urlpatterns = [
    path("", views.lessons, name="lessons"),
    path("<int:pk>/", views.lesson, name="lesson"),
    path("<int:pk>/cuestionario/", views.quiz, name="quiz"),
    path("<int:pk>/completar/", views.complete, name="complete"),
    path("<int:pk>/pdf/", views.lesson_pdf, name="pdf"),
    path("<int:pk>/video/", views.video, name="video"),
    path("<int:pk>/reproduccion/", views.playback, name="playback"),
    path("<int:pk>/transcripcion.<str:fmt>", views.transcript, name="transcript"),
]
