from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from courseops.core.health import CHECKS, run_checks


@never_cache
@require_GET
def health(request):
    """Every check, or only those named in `?checks=database,cache` (empty: none)."""
    names = None
    if "checks" in request.GET:
        names = [name.strip() for name in request.GET["checks"].split(",") if name.strip()]
        unknown = sorted(set(names) - set(CHECKS))
        if unknown:
            return JsonResponse(
                {"status": "error", "unknown_checks": unknown, "known_checks": list(CHECKS)},
                status=400,
            )
    healthy, checks = run_checks(names)
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks},
        status=200 if healthy else 503,
    )
