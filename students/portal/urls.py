from django.urls import path

from students.portal import notifications, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("entrar/", views.request_link, name="sign_in"),
    path("acceso/<str:token>/", views.access, name="access"),
    path("salir/", views.sign_out, name="sign_out"),
    path("suscripcion/", views.my_subscription, name="subscription"),
    path("suscripcion/gestionar/", views.manage_subscription, name="manage_subscription"),
    path("suscripcion/cambiar/<slug:slug>/", views.upgrade, name="upgrade"),
    path("avisos/", notifications.notifications, name="notifications"),
    path("avisos/suscripcion/", notifications.subscription, name="push_subscription"),
    path("sw.js", notifications.service_worker, name="service_worker"),
]
