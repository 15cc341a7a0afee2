import hmac

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from courseops.operations.metrics.registry import scrape_registry


def _bearer_token_matches(request):
    expected = settings.METRICS_BEARER_TOKEN
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return (
        bool(expected)
        and scheme.lower() == "bearer"
        and hmac.compare_digest(token.strip().encode(), expected.encode())
    )


@never_cache
@require_GET
def metrics(request):
    """Prometheus text format, for a scraper holding the bearer token or a staff session."""
    if not (_bearer_token_matches(request) or request.user.is_staff):
        response = HttpResponse("Unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)
