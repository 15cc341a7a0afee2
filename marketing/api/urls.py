from django.urls import path

from marketing.api import views

urlpatterns = [
    path("leads/", views.LeadList.as_view(), name="lead-list"),
    path("leads/<int:pk>/", views.LeadDetail.as_view(), name="lead-detail"),
    path("campaigns/<int:pk>/stats/", views.CampaignStatsView.as_view(), name="campaign-stats"),
    path("marketing/events/", views.MarketingEventView.as_view(), name="marketing-events"),
]
