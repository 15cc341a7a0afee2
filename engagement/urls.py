"""Engagement's portal pages (under /portal/, beside the students app's own)."""

from django.urls import path

from engagement import views

app_name = "engagement"
urlpatterns = [
    path("portal/progreso/", views.portal_progress, name="portal-progress"),
    path("portal/certificado/", views.portal_certificate, name="portal-certificate"),
    path("portal/certificado/pdf/", views.portal_certificate_pdf, name="portal-certificate-pdf"),
    path("portal/tareas/", views.portal_assignments, name="portal-assignments"),
    path("portal/tareas/<int:pk>/", views.portal_assignment, name="portal-assignment"),
    path("portal/preguntas/", views.portal_questions, name="portal-questions"),
    path("ayuda/voto/<str:token>/", views.faq_vote, name="faq-vote"),
    path("certificados/<str:code>/", views.certificate, name="certificate"),
]
