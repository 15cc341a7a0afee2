from django.urls import path

from courseops.outbound.api import views

urlpatterns = [
    path("webhooks/subscriptions/", views.SubscriptionList.as_view(), name="webhook-subscriptions"),
    path(
        "webhooks/subscriptions/<int:pk>/",
        views.SubscriptionDetail.as_view(),
        name="webhook-subscription",
    ),
    path(
        "webhooks/subscriptions/<int:pk>/rotate-secret/",
        views.SubscriptionRotateSecret.as_view(),
        name="webhook-subscription-rotate",
    ),
    path("webhooks/events/", views.EventCatalogue.as_view(), name="webhook-events"),
]
