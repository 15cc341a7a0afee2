from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from courseops.urls import urlpatterns as project_urlpatterns


@csrf_exempt
def bare(request):
    """The floor: what Django and the middleware cost with no work at all."""
    return HttpResponse(b'{"status": "ok"}', content_type="application/json")


urlpatterns = [path("bench/bare/", bare), *project_urlpatterns]
