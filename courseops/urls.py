from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from courseops.core.api import WhoAmIView
from courseops.core.views import health
from courseops.operations.kpis.views import dashboard_csv
from courseops.operations.privacy.api import PrivacyEraseView, PrivacyExportView
from courseops.operations.views import metrics

handler404 = "courseops.core.api.not_found"
handler500 = "courseops.core.api.server_error"

api_v1 = [
    path("me/", WhoAmIView.as_view(), name="me"),
    path("privacy/export/", PrivacyExportView.as_view(), name="privacy-export"),
    path("privacy/erase/", PrivacyEraseView.as_view(), name="privacy-erase"),
    path("", include("courseops.outbound.api.urls")),
    path("", include("students.api.urls")),
    path("", include("webinars.api.urls")),
    path("", include("marketing.api.urls")),
    path("", include("engagement.api.urls")),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index"), name="home"),
    path("admin/kpis.csv", dashboard_csv, name="kpis-csv"),
    path("admin/2fa/", include("courseops.core.staff_2fa")),
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    path("metrics", metrics, name="metrics"),
    path("anymail/", include("courseops.messaging.email_webhooks")),
    path("messaging/", include("courseops.messaging.urls")),
    path("webhooks/", include("courseops.webhooks.urls")),
    path("portal/lecciones/", include("content.portal.urls")),
    path("portal/webinars/", include("webinars.portal.urls")),
    path("", include("students.urls")),
    path("", include("engagement.urls")),
    path("webinars/", include("webinars.urls")),
    path("suscripcion/", include("marketing.urls")),
    path("encuestas/", include("surveys.urls")),
    path("l/", include("marketing.landing.urls")),
    path("o/", include("marketing.offers.urls")),
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
