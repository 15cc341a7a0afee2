"""API plumbing shared by every app's DRF views: one error shape, the caller's language,
strict JSON types for input, and the `Idempotency-Key` mixin (courseops.core.idempotency).

Every API error has one shape, whatever raised it (a serializer, a service, a missing
object, authentication, throttling, an unknown URL):

    {"detail": "<one sentence>", "errores": {"<field as the request named it>": ["..."]}}

`errores` is empty when no field is to blame.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views import defaults
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from courseops.core.parsers import has_nul, nul_error

NON_FIELD_KEYS = ("detail", "non_field_errors", "__all__")


def api_language(request) -> str:
    """The first language of Accept-Language we speak; Spanish when none is."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for code, _quality in translation.trans_real.parse_accept_lang_header(header):
        if code == "*":
            continue
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


class ApiLanguageMiddleware:
    """`/api/` answers (errors included) in the caller's language; a query string with
    a NUL character is a 400 (as a body with one is: courseops.core.parsers)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        language = api_language(request)
        with translation.override(language):
            if any(has_nul(v) for v in request.GET.lists()):
                response = JsonResponse(error_body(nul_error().detail), status=400)
            else:
                response = self.get_response(request)
        response.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Accept-Language",))
        return response


def _messages(value) -> list[str]:
    if isinstance(value, dict):
        return [m for item in value.values() for m in _messages(item)]
    if isinstance(value, list | tuple):
        return [m for item in value for m in _messages(item)]
    return [str(value)]


def _flatten(value, path, into):
    """Nested serializer errors as dotted paths: `intereses.0`, `events.2.email`."""
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{path}.{key}", into)
    elif isinstance(value, list | tuple) and any(isinstance(i, dict | list) for i in value):
        for index, item in enumerate(value):
            if item:
                _flatten(item, f"{path}.{index}", into)
    else:
        into.setdefault(path, []).extend(_messages(value))


def field_errors(data, names=None) -> tuple[str, dict]:
    """(detail, errores) from a ValidationError's data; field paths renamed to the keys the
    request used (`names`: field -> request key)."""
    names = names or {}
    detail, errors = "", {}
    if isinstance(data, dict):
        for key, value in data.items():
            if key in NON_FIELD_KEYS:
                detail = " ".join([detail, *_messages(value)]).strip()
            else:
                _flatten(value, names.get(key, str(key)), errors)
    else:
        detail = " ".join(_messages(data))
    return detail or _("Datos inválidos."), errors


def error_body(detail, errors=None) -> dict:
    return {"detail": str(detail), "errores": errors or {}}


def exception_handler(exc, context):
    """DRF's handler with one error shape, plus the errors DRF leaves alone (services'
    model validation, Django's 404 and permission errors) in the caller's language."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(_("No existe lo que se pide en esta dirección."))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        request = context.get("request")
        detail, errors = field_errors(response.data, getattr(request, "api_field_names", None))
    else:
        detail, errors = field_errors(response.data)
    response.data = error_body(detail, errors)
    return response


def invalid(errors=None, *, detail=None):
    """A 400 in the one shape for errors a service returned (field -> [messages]), fields
    named as the input serializer names them (the handler renames them as the request
    did)."""
    errors = {k: list(v) if isinstance(v, list | tuple) else [v] for k, v in (errors or {}).items()}
    return exceptions.ValidationError({"detail": detail or _("Datos inválidos."), **errors})


@dataclass
class Body:
    values: dict  # field -> value of the right JSON type, only the fields sent
    names: dict  # field -> the key the request used for it


def strict_input(request, serializer_class, *, aliases=None) -> Body:
    """Check the JSON object body's types against `serializer_class` (a list where a
    string belongs is a 400; missing fields are the service's to judge). `aliases` maps
    other accepted keys (English, accented) to the serializer's field names; errors name
    each field as the request did."""
    data = request.data
    if not isinstance(data, dict):
        raise exceptions.ValidationError({"detail": _("El cuerpo debe ser un objeto JSON.")})
    aliases = aliases or {}
    values, names = {}, {}
    for key, value in data.items():
        name = aliases.get(key, key)
        if name in names:
            raise exceptions.ValidationError(
                {
                    key: [
                        _("Repetido: «%(key)s» ya se envió como «%(other)s».")
                        % {"key": key, "other": names[name]}
                    ]
                }  # fmt: skip
            )
        names[name], values[name] = key, value
    request.api_field_names = names
    serializer = serializer_class(data=values, partial=True)
    serializer.is_valid(raise_exception=True)
    return Body(values=dict(serializer.validated_data), names=names)


_MACHINE_PREFIXES = ("/api/", "/webhooks/")


def not_found(request, exception=None):
    """JSON for integrations (API and webhooks), Django's page for people."""
    if request.path.startswith(_MACHINE_PREFIXES):
        return JsonResponse(error_body(_("No existe esta dirección.")), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith(_MACHINE_PREFIXES):
        return JsonResponse(
            error_body(_("Error interno. Reinténtalo más tarde.")),
            status=500,
        )
    return defaults.server_error(request)


class WhoAmIView(APIView):
    """Who the token belongs to: lets an integrator check that its token works."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Who am I",
        responses=inline_serializer(
            "WhoAmI", {"username": serializers.CharField(), "is_staff": serializers.BooleanField()}
        ),
    )
    def get(self, request):
        user = request.user
        return Response({"username": user.get_username(), "is_staff": user.is_staff})
