"""API plumbing shared by every app's DRF views."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.views import defaults
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """DRF's handler, plus model validation errors raised by services as a 400."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    return drf_exception_handler(exc, context)


_MACHINE_PREFIXES = ("/api/", "/webhooks/")


def not_found(request, exception=None):
    """JSON for integrations (API and webhooks), Django's page for people."""
    if request.path.startswith(_MACHINE_PREFIXES):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith(_MACHINE_PREFIXES):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)


class WhoAmIView(APIView):
    """Lets an integrator check that its token works and whose it is."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=inline_serializer(
            "WhoAmI", {"username": serializers.CharField(), "is_staff": serializers.BooleanField()}
        )
    )
    def get(self, request):
        user = request.user
        return Response({"username": user.get_username(), "is_staff": user.is_staff})
