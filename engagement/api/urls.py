from django.urls import path

from engagement.api import views

urlpatterns = [
    path("activity/", views.ActivityBatch.as_view(), name="activity-batch"),
    path(
        "students/<int:pk>/progress/",
        views.StudentProgressView.as_view(),
        name="student-progress",
    ),
    path(
        "assignments/<int:pk>/submissions/",
        views.AssignmentSubmissions.as_view(),
        name="assignment-submissions",
    ),
    path("questions/", views.Questions.as_view(), name="questions"),
]
